//! Helpers for reading rows: conversion errors, geometry of one kind.

use geo_types::{Geometry, Point};

pub(crate) fn conv(
    col: usize,
    e: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

pub(crate) fn point(g: Geometry<f64>) -> Point<f64> {
    match g {
        Geometry::Point(p) => p,
        _ => Point::new(f64::NAN, f64::NAN),
    }
}
