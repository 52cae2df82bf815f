#!/usr/bin/env python3
"""Checks Gen 2 module binaries built by this fixture (or by Device OS).

For each .bin (or .dfu) file: finds the module_info header (+0x184 when the
first word looks like an initial stack pointer, else +0), checks that the
file is end - start + 4 bytes long, that the SHA-256 at len-38 covers
[0, len-38), that the CRC-32 at len-4 (big-endian) covers [0, len-4) and that
the suffix size is 0x28. A .dfu file must also carry a valid DFU suffix.
Prints one line per file; exit status 1 if any check fails.

    tools/check_module.py build/target/*/platform-6-m/*.bin
    tools/check_module.py --expect start=0x08060000,platform=6,function=4,index=2,version=2302,dep=4.1.2302,dep2=2.0.1003 FILE
"""
import hashlib
import struct
import sys
import zlib

FUNCTIONS = {0: "none", 1: "resource", 2: "bootloader", 3: "monolithic", 4: "system", 5: "user"}


def parse(data):
    first = struct.unpack_from("<I", data, 0)[0]
    offset = 0x184 if (first & 0x2FF10000) == 0x20000000 else 0
    (start, end, reserved, flags, version, platform, function, index,
     d1f, d1i, d1v, d2f, d2i, d2v) = struct.unpack_from("<IIBBHHBBBBHBBH", data, offset)
    return {
        "offset": offset, "start": start, "end": end, "flags": flags, "version": version,
        "platform": platform, "function": function, "index": index,
        "dep": (d1f, d1i, d1v), "dep2": (d2f, d2i, d2v),
    }


def check(path, expect):
    raw = open(path, "rb").read()
    errors = []
    data = raw
    if path.endswith(".dfu"):
        suffix = raw[-16:]
        if suffix[8:11] != b"UFD" or suffix[11] != 16:
            errors.append("no DFU suffix")
        crc = struct.unpack_from("<I", suffix, 12)[0]
        if crc != (zlib.crc32(raw[:-4]) ^ 0xFFFFFFFF) & 0xFFFFFFFF:
            errors.append("DFU suffix CRC mismatch")
        _, pid, vid, _ = struct.unpack_from("<HHHH", suffix, 0)
        info_dfu = "dfu %04x:%04x" % (vid, pid)
        data = raw[:-16]
    else:
        info_dfu = ""
    h = parse(data)
    n = len(data)
    if n != h["end"] - h["start"] + 4:
        errors.append("length %d != end-start+4 (%d)" % (n, h["end"] - h["start"] + 4))
    if data[n - 38:n - 6] != hashlib.sha256(data[:n - 38]).digest():
        errors.append("SHA-256 mismatch")
    if struct.unpack_from(">I", data, n - 4)[0] != zlib.crc32(data[:n - 4]) & 0xFFFFFFFF:
        errors.append("CRC-32 mismatch")
    if struct.unpack_from("<H", data, n - 6)[0] != 0x28:
        errors.append("suffix size != 0x28")
    product_id, product_version = struct.unpack_from("<HH", data, n - 44)
    for key, value in expect.items():
        if key == "start":
            actual = h["start"]
        elif key in ("dep", "dep2"):
            actual = h[key]
            value = tuple(int(x, 0) for x in value.split("."))
        elif key == "offset":
            actual = h["offset"]
        elif key == "product":
            actual = (product_id, product_version)
            value = tuple(int(x, 0) for x in value.split("."))
        else:
            actual = h[key]
        if not isinstance(value, tuple):
            value = int(value, 0)
        if actual != value:
            errors.append("%s: expected %s, got %s" % (key, value, actual))
    print("%s: %s start=0x%08x end=0x%08x hdr=+0x%x platform=%d %s index=%d version=%d dep=%s dep2=%s "
          "product=%04x/%04x len=%d %s%s" % (
              "OK  " if not errors else "FAIL", path, h["start"], h["end"], h["offset"], h["platform"],
              FUNCTIONS.get(h["function"], h["function"]), h["index"], h["version"],
              "%d.%d.%d" % h["dep"], "%d.%d.%d" % h["dep2"], product_id, product_version, n, info_dfu,
              "" if not errors else " -- " + "; ".join(errors)))
    return not errors


def main(argv):
    expect = {}
    ok = True
    args = argv[1:]
    while args:
        arg = args.pop(0)
        if arg == "--expect":
            expect = dict(item.split("=", 1) for item in args.pop(0).split(","))
            continue
        ok = check(arg, expect) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
