//! A dataset as OSM XML (0.6), so that a generated city can be imported the way a real
//! extract is (`wangge generate --osm`): streets as ways with their tags and shared nodes
//! (vertices at the same position are one node), buildings as closed ways with `building` and
//! `building:levels`, communities as `boundary=administrative` + `admin_level=10` (a closed way,
//! or a multipolygon relation when they have holes or parts), facilities as tagged nodes whose
//! tags import back to the same category. Address points are not written: the import makes
//! one per building, as it does for real extracts. Streamed; memory is the node id map.

use crate::{Error, Result};
use geo_types::{Coord, LineString, MultiPolygon};
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use wangge_core::Dataset;

/// OSM tags of a facility category, such that the import reads them back as that category.
pub fn category_tags(category: &str) -> &'static [(&'static str, &'static str)] {
    match category {
        "kindergarten" => &[("amenity", "kindergarten")],
        "childcare" => &[("amenity", "childcare")],
        "primary_school" => &[("amenity", "school"), ("isced:level", "1")],
        "middle_school" => &[("amenity", "school"), ("isced:level", "2")],
        "school" => &[("amenity", "college")],
        "health_station" => &[("amenity", "clinic")],
        "hospital" => &[("amenity", "hospital")],
        "pharmacy" => &[("amenity", "pharmacy")],
        "elderly_care" => &[
            ("amenity", "social_facility"),
            ("social_facility", "assisted_living"),
        ],
        "social_facility" => &[("amenity", "social_facility")],
        "community_centre" => &[("amenity", "community_centre")],
        "culture" => &[("amenity", "library")],
        "fresh_market" => &[("amenity", "marketplace")],
        "food" => &[("amenity", "restaurant")],
        "bank" => &[("amenity", "bank")],
        "post" => &[("amenity", "post_office")],
        "police" => &[("amenity", "police")],
        "toilets" => &[("amenity", "toilets")],
        "supermarket" => &[("shop", "supermarket")],
        "convenience_store" => &[("shop", "convenience")],
        "shop" => &[("shop", "yes")],
        "park" => &[("leisure", "park")],
        "sports" => &[("leisure", "sports_centre")],
        _ => &[("amenity", "yes")],
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OsmWritten {
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
}

struct Writer<W: Write> {
    out: W,
    ids: HashMap<(u64, u64), i64>,
    next_node: i64,
    next_way: i64,
    next_rel: i64,
    /// Ways and relations are buffered until every node is out (OSM order: nodes first).
    ways: Vec<u8>,
    rels: Vec<u8>,
    n: OsmWritten,
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

fn tags(buf: &mut Vec<u8>, tags: &[(&str, &str)]) {
    for (k, v) in tags {
        buf.extend_from_slice(format!("    <tag k=\"{}\" v=\"{}\"/>\n", esc(k), esc(v)).as_bytes());
    }
}

impl<W: Write> Writer<W> {
    /// The node at `c`, written on first use.
    fn node(&mut self, c: Coord<f64>) -> std::io::Result<i64> {
        // Positions as OSM keeps them (1e-7 degrees): equal there, one node.
        let key = (
            (c.x * 1e7).round() as i64 as u64,
            (c.y * 1e7).round() as i64 as u64,
        );
        if let Some(&id) = self.ids.get(&key) {
            return Ok(id);
        }
        self.next_node += 1;
        let id = self.next_node;
        self.ids.insert(key, id);
        writeln!(
            self.out,
            "  <node id=\"{id}\" version=\"1\" lat=\"{:.7}\" lon=\"{:.7}\"/>",
            c.y, c.x
        )?;
        self.n.nodes += 1;
        Ok(id)
    }

    fn tagged_node(&mut self, c: Coord<f64>, t: &[(&str, &str)]) -> std::io::Result<()> {
        self.next_node += 1;
        let id = self.next_node;
        let mut buf = format!(
            "  <node id=\"{id}\" version=\"1\" lat=\"{:.7}\" lon=\"{:.7}\">\n",
            c.y, c.x
        )
        .into_bytes();
        tags(&mut buf, t);
        buf.extend_from_slice(b"  </node>\n");
        self.out.write_all(&buf)?;
        self.n.nodes += 1;
        Ok(())
    }

    fn way(&mut self, line: &LineString<f64>, t: &[(&str, &str)]) -> std::io::Result<i64> {
        let mut refs = Vec::with_capacity(line.0.len());
        for c in &line.0 {
            let id = self.node(*c)?;
            if refs.last() != Some(&id) {
                refs.push(id);
            }
        }
        self.next_way += 1;
        let id = self.next_way;
        self.ways
            .extend_from_slice(format!("  <way id=\"{id}\" version=\"1\">\n").as_bytes());
        for r in refs {
            self.ways
                .extend_from_slice(format!("    <nd ref=\"{r}\"/>\n").as_bytes());
        }
        tags(&mut self.ways, t);
        self.ways.extend_from_slice(b"  </way>\n");
        self.n.ways += 1;
        Ok(id)
    }

    /// A closed way with the tags, or untagged rings in a multipolygon relation carrying them.
    fn area(
        &mut self,
        mp: &MultiPolygon<f64>,
        t: &[(&str, &str)],
        kind: &str,
    ) -> std::io::Result<()> {
        if let [p] = mp.0.as_slice()
            && p.interiors().is_empty()
        {
            self.way(p.exterior(), t)?;
            return Ok(());
        }
        let mut members = Vec::new();
        for p in &mp.0 {
            members.push(("outer", self.way(p.exterior(), &[])?));
            for h in p.interiors() {
                members.push(("inner", self.way(h, &[])?));
            }
        }
        self.next_rel += 1;
        let id = self.next_rel;
        self.rels
            .extend_from_slice(format!("  <relation id=\"{id}\" version=\"1\">\n").as_bytes());
        for (role, w) in members {
            self.rels.extend_from_slice(
                format!("    <member type=\"way\" ref=\"{w}\" role=\"{role}\"/>\n").as_bytes(),
            );
        }
        let mut all = vec![("type", kind)];
        all.extend_from_slice(t);
        tags(&mut self.rels, &all);
        self.rels.extend_from_slice(b"  </relation>\n");
        self.n.relations += 1;
        Ok(())
    }
}

/// Writes `data` (lon/lat) as OSM XML to `path` (through `path.part`, renamed when whole).
pub fn write_osm(data: &Dataset, path: &Path) -> Result<OsmWritten> {
    let io = |source: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let file = std::fs::File::create(&part).map_err(io)?;
    let mut w = Writer {
        out: BufWriter::with_capacity(1 << 20, file),
        ids: HashMap::new(),
        next_node: 0,
        next_way: 0,
        next_rel: 0,
        ways: Vec::new(),
        rels: Vec::new(),
        n: OsmWritten::default(),
    };
    (|| -> std::io::Result<()> {
        w.out.write_all(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"wangge generate\">\n",
        )?;
        for s in &data.streets {
            let t: Vec<(&str, &str)> = s.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            w.way(&s.geometry, &t)?;
        }
        for b in &data.buildings {
            let levels = b.levels_given.map(|l| l.to_string());
            let mut t = vec![("building", b.kind.as_str())];
            if let Some(l) = &levels {
                t.push(("building:levels", l));
            }
            if let Some(n) = &b.name {
                t.push(("name", n));
            }
            w.area(&b.geometry, &t, "multipolygon")?;
        }
        for c in &data.communities {
            let t = [
                ("boundary", "administrative"),
                ("admin_level", "10"),
                ("name", c.name.as_str()),
                ("ref", c.key.as_str()),
            ];
            w.area(&c.geometry, &t, "boundary")?;
        }
        for f in &data.facilities {
            let mut t = category_tags(f.category.as_str()).to_vec();
            if let Some(n) = &f.name {
                t.push(("name", n));
            }
            w.tagged_node(f.location.0, &t)?;
        }
        let (ways, rels) = (std::mem::take(&mut w.ways), std::mem::take(&mut w.rels));
        w.out.write_all(&ways)?;
        w.out.write_all(&rels)?;
        w.out.write_all(b"</osm>\n")?;
        w.out.flush()
    })()
    .map_err(io)?;
    std::fs::rename(&part, path).map_err(io)?;
    Ok(w.n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_core::FacilityCategory;

    #[test]
    fn category_tags_import_back_as_the_same_category() {
        for (code, _) in wangge_core::facility_category::KNOWN {
            if *code == "other" {
                continue;
            }
            let t = category_tags(code);
            let back =
                FacilityCategory::from_osm(|k| t.iter().find(|(x, _)| *x == k).map(|(_, v)| *v));
            assert_eq!(
                back.as_ref().map(FacilityCategory::as_str),
                Some(*code),
                "{t:?}"
            );
        }
    }

    #[test]
    fn escapes_what_xml_needs() {
        assert_eq!(esc("a&b<\"c\">'"), "a&amp;b&lt;&quot;c&quot;&gt;&apos;");
    }
}
