//! OpenStreetMap import: XML (.osm) and PBF (.osm.pbf) are read into one in-memory model,
//! then assembled into streets, buildings (multipolygons included), facilities, candidate
//! community polygons and address points with estimated households.

mod assemble;
mod boundaries;
mod pbf;
mod rings;
mod write;
mod xml;

pub use assemble::{OsmReport, assemble};
pub use boundaries::{BoundaryReport, Candidate, OsmBoundaries, communities as map_boundaries};
pub use write::{OsmWritten, category_tags, write_osm};

use crate::read::FileKind;
use crate::{Error, Result};
use std::collections::HashMap;
use std::path::Path;
use wangge_core::Progress;

/// Tags of one element.
pub type Tags = Vec<(String, String)>;

/// Looks up a tag.
pub fn tag<'a>(tags: &'a Tags, key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A way: node references and tags.
#[derive(Debug, Clone, Default)]
pub struct Way {
    pub id: i64,
    pub refs: Vec<i64>,
    pub tags: Tags,
}

/// A relation member.
#[derive(Debug, Clone)]
pub struct Member {
    pub kind: MemberKind,
    pub id: i64,
    pub role: String,
}

/// The element type a member refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    Node,
    Way,
    Relation,
}

/// A relation.
#[derive(Debug, Clone, Default)]
pub struct Relation {
    pub id: i64,
    pub members: Vec<Member>,
    pub tags: Tags,
}

/// Everything read from an OSM file.
#[derive(Debug, Clone, Default)]
pub struct OsmData {
    /// Every node's (lon, lat).
    pub nodes: HashMap<i64, (f64, f64)>,
    /// Nodes that carry tags.
    pub tagged_nodes: Vec<(i64, Tags)>,
    pub ways: Vec<Way>,
    pub relations: Vec<Relation>,
}

/// Reads an OSM XML or PBF file.
pub fn read(path: &Path, progress: &dyn Progress) -> Result<OsmData> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() == 0 {
        return Err(Error::format(path, "the file is empty (0 bytes)"));
    }
    progress.start("reading OSM", Some(meta.len()));
    let data = match FileKind::of(path)? {
        FileKind::OsmXml => xml::read(path, progress),
        FileKind::OsmPbf => pbf::read(path),
        _ => Err(Error::usage(path, "not an OSM file")),
    }?;
    progress.finish();
    if data.nodes.is_empty() {
        return Err(Error::format(path, "contains no OSM nodes"));
    }
    Ok(data)
}
