//! Layer definitions and the GeoPackage DDL.

/// A feature layer: table name, geometry type and attribute columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layer {
    pub name: &'static str,
    pub geometry_type: &'static str,
    pub description: &'static str,
    /// (column, SQL type); every layer also has `fid`, `geom` and `key`.
    pub columns: &'static [(&'static str, &'static str)],
}

/// Communities.
pub const COMMUNITIES: Layer = Layer {
    name: "communities",
    geometry_type: "MULTIPOLYGON",
    description: "Communities (社区): the units partitioned into grids",
    columns: &[
        ("name", "TEXT"),
        ("street", "TEXT"),
        ("kind", "TEXT NOT NULL"),
        ("area_m2", "REAL NOT NULL"),
        // The community code (equal to the key), under the name planners and exports use.
        ("code", "TEXT NOT NULL"),
    ],
};

/// Buildings.
pub const BUILDINGS: Layer = Layer {
    name: "buildings",
    geometry_type: "MULTIPOLYGON",
    description: "Building footprints with storeys and households",
    columns: &[
        ("kind", "TEXT NOT NULL"),
        ("name", "TEXT"),
        ("levels_given", "INTEGER"),
        ("levels", "INTEGER NOT NULL"),
        ("footprint_m2", "REAL NOT NULL"),
        ("households", "INTEGER NOT NULL"),
        ("households_estimated", "BOOLEAN NOT NULL"),
    ],
};

/// Address points and unit entrances.
pub const ADDRESS_POINTS: Layer = Layer {
    name: "address_points",
    geometry_type: "POINT",
    description: "Address points / unit entrances with households",
    columns: &[
        ("building_key", "TEXT"),
        ("households", "INTEGER NOT NULL"),
        ("households_estimated", "BOOLEAN NOT NULL"),
        ("units", "INTEGER"),
        ("floors", "INTEGER"),
    ],
};

/// Facilities.
pub const FACILITIES: Layer = Layer {
    name: "facilities",
    geometry_type: "POINT",
    description: "Service facilities by category",
    columns: &[
        ("category", "TEXT NOT NULL"),
        ("name", "TEXT"),
        ("source_kind", "TEXT NOT NULL"),
    ],
};

/// Streets and paths.
pub const STREETS: Layer = Layer {
    name: "streets",
    geometry_type: "LINESTRING",
    description: "Streets and paths with their access tags",
    columns: &[
        ("highway", "TEXT NOT NULL"),
        ("name", "TEXT"),
        ("foot", "TEXT"),
        ("access", "TEXT"),
        ("sidewalk", "TEXT"),
        ("tags", "TEXT NOT NULL"),
    ],
};

/// Incidents.
pub const INCIDENTS: Layer = Layer {
    name: "incidents",
    geometry_type: "POINT",
    description: "Reported incidents with their closed-loop timeline",
    columns: &[
        ("time", "DATETIME NOT NULL"),
        ("category", "TEXT NOT NULL"),
        ("source", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("raw_category", "TEXT"),
        ("community", "TEXT"),
        ("grid", "TEXT"),
        ("dispatched_at", "DATETIME"),
        ("handled_at", "DATETIME"),
        ("followed_up_at", "DATETIME"),
        ("closed_at", "DATETIME"),
        ("component", "TEXT"),
    ],
};

/// Columns added to layers after workspaces were first made: (layer, column, type). Opening
/// an older workspace adds them (all may be NULL).
pub const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("incidents", "raw_category", "TEXT"),
    ("incidents", "community", "TEXT"),
    ("incidents", "grid", "TEXT"),
    ("incidents", "dispatched_at", "DATETIME"),
    ("incidents", "handled_at", "DATETIME"),
    ("incidents", "followed_up_at", "DATETIME"),
    ("incidents", "closed_at", "DATETIME"),
    ("incidents", "component", "TEXT"),
];

/// Every status change of an incident (an attributes table; the audit trail of the loop),
/// and an index for time-window queries.
pub const INCIDENT_EVENTS_DDL: &str = "
CREATE TABLE IF NOT EXISTS incident_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, incident TEXT NOT NULL, status TEXT NOT NULL,
  at DATETIME NOT NULL, recorded DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  detail TEXT);
CREATE INDEX IF NOT EXISTS incident_events_incident ON incident_events(incident);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents(time);
CREATE INDEX IF NOT EXISTS incidents_component ON incidents(component) WHERE component IS NOT NULL;
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('incident_events', 'attributes', 'incident_events', 'Status changes of incidents (closed loop)');
";

/// City components (部件): points, or lines for linear ones.
pub const COMPONENTS: Layer = Layer {
    name: "components",
    geometry_type: "GEOMETRY",
    description: "City components (部件) by GB/T 30428.2 subclass, with status and owner",
    columns: &[
        ("class", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("owner", "TEXT"),
        ("inspected", "DATETIME"),
        ("name", "TEXT"),
        ("source_kind", "TEXT NOT NULL"),
    ],
};

/// Basemap areas.
pub const LAND_COVER: Layer = Layer {
    name: "land_cover",
    geometry_type: "MULTIPOLYGON",
    description: "Basemap areas: water, green space, land use",
    columns: &[
        ("class", "TEXT NOT NULL"),
        ("kind", "TEXT NOT NULL"),
        ("name", "TEXT"),
    ],
};

/// Every feature layer, in load order.
pub const LAYERS: &[Layer] = &[
    COMMUNITIES,
    BUILDINGS,
    ADDRESS_POINTS,
    FACILITIES,
    STREETS,
    INCIDENTS,
    LAND_COVER,
    COMPONENTS,
];

/// GeoPackage `application_id` ("GPKG").
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// GeoPackage 1.3.
pub const USER_VERSION: i32 = 10_300;

/// The core GeoPackage tables and the Wangge import log.
pub const CORE_DDL: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE wangge_imports (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  time DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  command TEXT NOT NULL, sources TEXT NOT NULL, summary TEXT NOT NULL);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('wangge_imports', 'attributes', 'wangge_imports', 'Log of imports into this workspace');
";

/// Residents' groups: the level below grids.
pub const GROUPS: Layer = Layer {
    name: "resident_groups",
    geometry_type: "POLYGON",
    description: "Residents' groups (居民小组) nested in the grids of a plan",
    columns: &[
        ("plan_id", "INTEGER NOT NULL"),
        ("code", "TEXT NOT NULL"),
        ("grid", "TEXT NOT NULL"),
        ("households", "INTEGER NOT NULL"),
        ("polsby_popper", "REAL NOT NULL"),
    ],
};

/// Communities made by a plan from streets (`wangge partition --levels communities`).
pub const PLAN_COMMUNITIES: Layer = Layer {
    name: "plan_communities",
    geometry_type: "POLYGON",
    description: "Communities (社区) made from streets by a plan (--levels communities)",
    columns: &[
        ("plan_id", "INTEGER NOT NULL"),
        ("code", "TEXT NOT NULL"),
        ("street", "TEXT NOT NULL"),
        ("households", "INTEGER NOT NULL"),
        ("area_m2", "REAL NOT NULL"),
        ("polsby_popper", "REAL NOT NULL"),
    ],
};

/// The grid layer (one polygon per grid and plan version).
pub const GRIDS: Layer = Layer {
    name: "grids",
    geometry_type: "POLYGON",
    description: "Grids (网格) of every plan version",
    columns: &[
        ("plan_id", "INTEGER NOT NULL"),
        ("code", "TEXT NOT NULL"),
        ("community", "TEXT NOT NULL"),
        ("households", "INTEGER NOT NULL"),
        ("workers", "INTEGER NOT NULL"),
        ("area_m2", "REAL NOT NULL"),
        ("polsby_popper", "REAL NOT NULL"),
        ("reock", "REAL NOT NULL"),
    ],
};

/// `CREATE TABLE` and registration statements for one layer.
pub fn layer_ddl(layer: &Layer) -> String {
    let cols: String = layer
        .columns
        .iter()
        .map(|(c, t)| format!(", {c} {t}"))
        .collect();
    format!(
        "CREATE TABLE {n} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {g} NOT NULL, \
         key TEXT NOT NULL UNIQUE{cols});\n\
         INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) \
         VALUES ('{n}', 'features', '{n}', '{d}', 4326);\n\
         INSERT INTO gpkg_geometry_columns VALUES ('{n}', 'geom', '{g}', 4326, 0, 0);\n",
        n = layer.name,
        g = layer.geometry_type,
        d = layer.description.replace('\'', "''"),
    )
}
