#!/usr/bin/env python3
"""The ingest script a user would write without Pipewright.

    python3 ingest_baseline.py SOURCE DB

Walks SOURCE, and for every image file (png, jpg, jpeg, bmp, tif, tiff, webp in
any case) reads the bytes, hashes them with SHA-256 and fully decodes them with
Pillow. Records path (relative to SOURCE), size, mtime, width, height, mode,
label (the top folder under SOURCE) and sha256; a file Pillow cannot decode is
recorded with its error instead of stopping the run. At the end all rows go into
a fresh sqlite3 database DB with one executemany inside one transaction.

Prints one line of JSON: {"files", "rows", "errors", "seconds"}.

This is the baseline of tests/bench/bench_ingest.sh: plain, single process,
no tricks in either direction.
"""

import hashlib
import io
import json
import os
import sqlite3
import sys
import time

from PIL import Image

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def main(argv):
    if len(argv) != 3:
        print("usage: ingest_baseline.py SOURCE DB", file=sys.stderr)
        return 2
    source, db_path = argv[1], argv[2]
    if not os.path.isdir(source):
        print(f"ingest_baseline.py: {source} is not a folder", file=sys.stderr)
        return 1

    start = time.perf_counter()
    rows = []
    errors = 0

    for root, dirs, files in os.walk(source):
        for name in files:
            if os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, source)
            parts = rel.split(os.sep)
            label = parts[0] if len(parts) > 1 else None

            st = os.stat(path)
            with open(path, "rb") as f:
                data = f.read()
            sha256 = hashlib.sha256(data).hexdigest()

            width = height = mode = error = None
            try:
                with Image.open(io.BytesIO(data)) as im:
                    im.load()
                    width, height = im.size
                    mode = im.mode
            except Exception as e:  # anything Pillow cannot decode
                error = f"{type(e).__name__}: {e}"
                errors += 1

            rows.append((rel, st.st_size, st.st_mtime, width, height, mode,
                         label, sha256, error))

    if os.path.exists(db_path):
        os.remove(db_path)
    con = sqlite3.connect(db_path)
    try:
        with con:  # one transaction
            con.execute(
                "CREATE TABLE images ("
                " path TEXT PRIMARY KEY,"
                " size INTEGER NOT NULL,"
                " mtime REAL NOT NULL,"
                " width INTEGER,"
                " height INTEGER,"
                " mode TEXT,"
                " label TEXT,"
                " sha256 TEXT NOT NULL,"
                " error TEXT)")
            con.executemany(
                "INSERT INTO images (path, size, mtime, width, height, mode,"
                " label, sha256, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows)
        stored = con.execute("SELECT COUNT(*) FROM images").fetchone()[0]
    finally:
        con.close()

    print(json.dumps({
        "files": len(rows),
        "rows": stored,
        "errors": errors,
        "seconds": round(time.perf_counter() - start, 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
