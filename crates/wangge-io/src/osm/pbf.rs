//! OSM PBF through the osmpbf crate. A damaged file can make a third-party decoder panic;
//! that panic is caught here and reported as a format error naming the file.

use super::{Member, MemberKind, OsmData, Relation, Way};
use crate::{Error, Result};
use osmpbf::{Element, ElementReader, RelMemberType};
use std::path::Path;

pub(super) fn read(path: &Path) -> Result<OsmData> {
    let reader = ElementReader::from_path(path)
        .map_err(|e| Error::format(path, format!("cannot open as PBF: {e}")))?;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut data = OsmData::default();
        let res = reader.for_each(|el| match el {
            Element::Node(n) => add_node(&mut data, n.id(), n.lon(), n.lat(), n.tags()),
            Element::DenseNode(n) => add_node(&mut data, n.id(), n.lon(), n.lat(), n.tags()),
            Element::Way(w) => data.ways.push(Way {
                id: w.id(),
                refs: w.refs().collect(),
                tags: w
                    .tags()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
            Element::Relation(r) => data.relations.push(Relation {
                id: r.id(),
                members: r
                    .members()
                    .map(|m| Member {
                        kind: match m.member_type {
                            RelMemberType::Node => MemberKind::Node,
                            RelMemberType::Way => MemberKind::Way,
                            RelMemberType::Relation => MemberKind::Relation,
                        },
                        id: m.member_id,
                        role: m.role().unwrap_or("").to_string(),
                    })
                    .collect(),
                tags: r
                    .tags()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
        });
        res.map(|_| data)
    }));
    match outcome {
        Ok(Ok(data)) => Ok(data),
        Ok(Err(e)) => Err(Error::format(
            path,
            format!("truncated or damaged PBF: {e}"),
        )),
        Err(_) => Err(Error::format(path, "damaged PBF (the decoder gave up)")),
    }
}

fn add_node<'a>(
    data: &mut OsmData,
    id: i64,
    lon: f64,
    lat: f64,
    tags: impl Iterator<Item = (&'a str, &'a str)>,
) {
    data.nodes.insert(id, (lon, lat));
    let tags: Vec<(String, String)> = tags.map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if !tags.is_empty() {
        data.tagged_nodes.push((id, tags));
    }
}
