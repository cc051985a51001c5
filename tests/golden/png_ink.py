#!/usr/bin/env python3
"""png_ink.py PNG [SVG [ZOOM]]: the PNG (8-bit RGB or RGBA, as rsvg-convert and Chromium write)
has the SVG's declared size times ZOOM (if an SVG is given) and enough non-white pixels to be a drawing, not a blank
page: at least 1% of the pixels. Stdlib only: the PNG is decoded here (filters included)."""
import re
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), "want 8-bit RGB/RGBA, got %d/%d" % (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main_args(png, svg_path=None, zoom="1"):
    w, h, bpp, rows = decode(png)
    if svg_path:
        svg = open(svg_path).read()
        m = re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', svg)
        z = float(zoom)
        want = (round(int(m.group(1)) * z), round(int(m.group(2)) * z)) if m else None
        assert want == (w, h), "size %dx%d, want %s (svg %s at zoom %s)" % (w, h, want, m and m.groups(), zoom)
    ink = sum(1 for line in rows for x in range(w)
              if min(line[x * bpp:x * bpp + 3]) < 200 and (bpp == 3 or line[x * bpp + 3] > 0))
    assert ink * 100 >= w * h, "only %d of %d pixels have ink" % (ink, w * h)
    print("png %dx%d, %.1f%% ink" % (w, h, 100.0 * ink / (w * h)))


if __name__ == "__main__":
    main_args(*sys.argv[1:4])
