//! OSM XML, streamed with quick-xml.

use super::{Member, MemberKind, OsmData, Relation, Tags, Way};
use crate::{Error, Result};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use std::path::Path;
use wangge_core::Progress;

enum Current {
    None,
    Node(i64, Tags),
    Way(Way),
    Relation(Relation),
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.into_inner() == key)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

// Long: one streaming XML state machine (node, way, relation, their tags and members); each arm
// is a few lines and they share the element being built.
pub(super) fn read(path: &Path, progress: &dyn Progress) -> Result<OsmData> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(file));
    let mut buf = Vec::new();
    let mut data = OsmData::default();
    let mut cur = Current::None;
    let mut saw_osm = false;
    let mut last_pos = 0u64;
    loop {
        let at = reader.buffer_position();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| Error::format(path, format!("not well-formed XML near byte {at}: {e}")))?;
        let bad = |what: &str| Error::format(path, format!("{what} near byte {at}"));
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                match e.name().into_inner() {
                    "osm" => saw_osm = true,
                    "node" => {
                        let id: i64 = attr(e, "id")
                            .and_then(|v| v.parse().ok())
                            .ok_or_else(|| bad("a node without a numeric id"))?;
                        let lat = attr(e, "lat").and_then(|v| v.parse::<f64>().ok());
                        let lon = attr(e, "lon").and_then(|v| v.parse::<f64>().ok());
                        match (lon, lat) {
                            (Some(x), Some(y))
                                if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) =>
                            {
                                data.nodes.insert(id, (x, y));
                            }
                            _ => return Err(bad(&format!("node {id} has no valid lat/lon"))),
                        }
                        if !empty {
                            cur = Current::Node(id, Vec::new());
                        }
                    }
                    "way" => {
                        let id = attr(e, "id")
                            .and_then(|v| v.parse().ok())
                            .ok_or_else(|| bad("a way without a numeric id"))?;
                        let w = Way {
                            id,
                            ..Way::default()
                        };
                        if empty {
                            data.ways.push(w);
                        } else {
                            cur = Current::Way(w);
                        }
                    }
                    "relation" => {
                        let id = attr(e, "id")
                            .and_then(|v| v.parse().ok())
                            .ok_or_else(|| bad("a relation without a numeric id"))?;
                        let r = Relation {
                            id,
                            ..Relation::default()
                        };
                        if empty {
                            data.relations.push(r);
                        } else {
                            cur = Current::Relation(r);
                        }
                    }
                    "tag" => {
                        let (Some(k), Some(v)) = (attr(e, "k"), attr(e, "v")) else {
                            return Err(bad("a tag without k or v"));
                        };
                        match &mut cur {
                            Current::Node(_, t) => t.push((k, v)),
                            Current::Way(w) => w.tags.push((k, v)),
                            Current::Relation(r) => r.tags.push((k, v)),
                            Current::None => {}
                        }
                    }
                    "nd" => {
                        if let Current::Way(w) = &mut cur {
                            let r = attr(e, "ref")
                                .and_then(|v| v.parse().ok())
                                .ok_or_else(|| bad("an nd without a numeric ref"))?;
                            w.refs.push(r);
                        }
                    }
                    "member" => {
                        if let Current::Relation(r) = &mut cur {
                            let kind = match attr(e, "type").as_deref() {
                                Some("node") => MemberKind::Node,
                                Some("way") => MemberKind::Way,
                                Some("relation") => MemberKind::Relation,
                                _ => return Err(bad("a member with an unknown type")),
                            };
                            let id = attr(e, "ref")
                                .and_then(|v| v.parse().ok())
                                .ok_or_else(|| bad("a member without a numeric ref"))?;
                            r.members.push(Member {
                                kind,
                                id,
                                role: attr(e, "role").unwrap_or_default(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => match (
                e.name().into_inner(),
                std::mem::replace(&mut cur, Current::None),
            ) {
                ("node", Current::Node(id, tags)) => {
                    if !tags.is_empty() {
                        data.tagged_nodes.push((id, tags));
                    }
                }
                ("way", Current::Way(w)) => data.ways.push(w),
                ("relation", Current::Relation(r)) => data.relations.push(r),
                (_, c) => cur = c,
            },
            Event::Eof => break,
            _ => {}
        }
        let pos = reader.buffer_position();
        if pos - last_pos > 1 << 20 {
            progress.advance(pos - last_pos);
            last_pos = pos;
        }
        buf.clear();
    }
    if !saw_osm {
        return Err(Error::format(
            path,
            "not an OSM XML file (no <osm> element)",
        ));
    }
    if !matches!(cur, Current::None) {
        return Err(Error::format(
            path,
            "the file ends inside an element (truncated?)",
        ));
    }
    Ok(data)
}
