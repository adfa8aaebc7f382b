// Decodes vector tiles with Mapbox's own reader (@mapbox/vector-tile over pbf, the libraries
// MapLibre draws with): for each file given, every layer's feature count, and per feature its
// geometry type, property keys and values and its first point in tile coordinates. Prints
// one JSON line; a tile the reader cannot read fails the run.
// Usage: node web-viewer/test/decode_mvt.mjs TILE.mvt...
import fs from "node:fs";
import Pbf from "pbf";
import { VectorTile } from "@mapbox/vector-tile";

const out = [];
for (const file of process.argv.slice(2)) {
  const tile = new VectorTile(new Pbf(fs.readFileSync(file)));
  const layers = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const features = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      const g = f.loadGeometry();
      features.push({ type: f.type, props: f.properties, first: g.length && g[0].length ? [g[0][0].x, g[0][0].y] : null });
    }
    layers[name] = { extent: layer.extent, version: layer.version, features };
  }
  out.push({ file, layers });
}
console.log(JSON.stringify(out));
