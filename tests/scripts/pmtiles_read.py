"""Reads a PMTiles archive with the independent `pmtiles` Python package (protomaps): prints
the header's spec version and tile type and the number of tiles, and writes one decompressed
tile beside the archive (<archive>.sample.mvt) for the Rust validator."""
import gzip
import json
import sys

from pmtiles.reader import MmapSource, Reader, all_tiles

path = sys.argv[1]
with open(path, "rb") as f:
    reader = Reader(MmapSource(f))
    header = reader.header()
    n = 0
    sample = None
    for (z, x, y), data in all_tiles(reader.get_bytes):
        n += 1
        if sample is None or len(data) > len(sample):
            sample = data
    if sample is not None:
        with open(path + ".sample.mvt", "wb") as out:
            out.write(gzip.decompress(sample))
    print(json.dumps({"spec_version": header["version"], "tile_type": int(header["tile_type"].value), "tiles": n}))
