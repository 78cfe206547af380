#!/usr/bin/env python3
"""Writes the seeds of fuzz/corpus/ that are not made by strata's own writers (make_seeds.cpp):
files in the layout of the reference writers (numpy's np.save / np.savez / np.savez_compressed,
the `safetensors` package) and hand-made invalid ones, each aimed at one check of the readers.

Run once, by hand; never needed by the build:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy safetensors
    /tmp/venv/bin/python fuzz/make_seeds.py fuzz/corpus
"""
import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
from safetensors.numpy import save as st_save

out = Path(sys.argv[1])


def put(folder, name, data):
    (out / folder / name).write_bytes(data)


def npy(array, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, array, allow_pickle=True)
    else:
        np.lib.format.write_array(buf, array, version=version, allow_pickle=True)
    return buf.getvalue()


def npy_raw(header, data=b"", version=(1, 0)):
    """A .npy image from a header dict literal, padded as numpy pads it (to 64 bytes)."""
    text = header.encode("latin1")
    length_bytes = 2 if version == (1, 0) else 4
    prelude = 6 + 2 + length_bytes
    pad = -(prelude + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    fmt = "<H" if length_bytes == 2 else "<I"
    return b"\x93NUMPY" + bytes(version) + struct.pack(fmt, len(text)) + text + data


def safetensors_raw(header, data=b"", length=None):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def zip_of(members, method=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


# ------------------------------------------------------------------ safetensors, reference writer
f32 = np.array([[1.5, -2.0], [0.0, 3.25], [np.inf, np.nan]], dtype=np.float32)
put("safetensors", "ref-numpy.safetensors", st_save({
    "weight": f32,
    "bias": np.array([0.5, -1.0], dtype=np.float16),
    "ids": np.arange(4, dtype=np.int64),
    "mask": np.array([[True, False], [False, True]]),
    "q": np.array([-128, -1, 0, 1, 127], dtype=np.int8),
    "u": np.array([0, 1, 65535], dtype=np.uint16),
}, metadata={"format": "np", "note": "é ✓"}))
put("safetensors", "ref-scalar-empty.safetensors", st_save({
    "scalar": np.array(2.5, dtype=np.float64),
    "empty": np.zeros((0, 4), dtype=np.uint8),
    "i32": np.array([[1, 2, 3]], dtype=np.int32),
}))
# Not padded, with escapes: the data starts unaligned (the copy path) and keys need unescaping.
put("safetensors", "hand-unaligned-escapes.safetensors", safetensors_raw(
    b'{ "k\\u00e9\\"y" : {"shape":[2],"dtype":"F32","data_offsets":[0,8]},\n'
    b'"__metadata__":{"a\\nb":"\\ud83d\\ude00"}, "b":{"dtype":"BOOL","shape":[3],'
    b'"data_offsets":[8,11]}}', struct.pack("<2f", 1.0, -1.0) + b"\x00\x01\x07"))

# ------------------------------------------------------------------ safetensors, invalid
entry = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
eight = b"\x00" * 8
put("safetensors", "bad-length-past-end.safetensors", safetensors_raw({"a": entry}, eight, 1_000_000))
put("safetensors", "bad-length-over-limit.safetensors",
    safetensors_raw({"a": entry}, eight, 100_000_001))
put("safetensors", "bad-overlap.safetensors", safetensors_raw(
    {"a": entry, "b": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}}, eight))
put("safetensors", "bad-gap.safetensors", safetensors_raw(
    {"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
     "b": {"dtype": "U8", "shape": [2], "data_offsets": [4, 6]}}, b"\x01" * 6))
put("safetensors", "bad-trailing.safetensors", safetensors_raw({"a": entry}, eight + b"xx"))
put("safetensors", "bad-dtype-f8.safetensors",
    safetensors_raw({"a": {"dtype": "F8_E4M3", "shape": [8], "data_offsets": [0, 8]}}, eight))
put("safetensors", "bad-negative-shape.safetensors",
    safetensors_raw({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, eight))
put("safetensors", "bad-shape-overflow.safetensors", safetensors_raw(
    {"a": {"dtype": "F64", "shape": [1 << 31, 1 << 31, 4], "data_offsets": [0, 8]}}, eight))
put("safetensors", "bad-duplicate-key.safetensors",
    safetensors_raw(b'{"a":' + json.dumps(entry).encode() + b',"a":' +
                    json.dumps(entry).encode() + b"}", eight))
put("safetensors", "bad-not-object.safetensors", safetensors_raw(b"[1, 2, 3]"))
put("safetensors", "bad-deep-nesting.safetensors", safetensors_raw(b'{"a":' + b"[" * 2000))
put("safetensors", "bad-utf8-key.safetensors",
    safetensors_raw(b'{"\xff\xfe":' + json.dumps(entry).encode() + b"}", eight))
put("safetensors", "bad-float-offset.safetensors", safetensors_raw(
    {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8.0]}}, eight))
put("safetensors", "bad-metadata-number.safetensors",
    safetensors_raw({"__metadata__": {"step": 12}}))

# ------------------------------------------------------------------ npy, reference writer
m = np.arange(6, dtype=np.float64).reshape(3, 2) / 4
put("npy", "ref-v1-f8-3x2.npy", npy(m))
put("npy", "ref-be-i4-2x3.npy", npy(np.arange(-3, 3, dtype=">i4").reshape(2, 3)))
put("npy", "ref-be-f2.npy", npy(np.array([1.0, -0.5, 65504.0], dtype=">f2")))
put("npy", "ref-be-u8.npy", npy(np.array([1, 2**64 - 1], dtype=">u8")))
put("npy", "ref-fortran-f4-2x3x2.npy",
    npy(np.asfortranarray(np.arange(12, dtype=np.float32).reshape(2, 3, 2))))
put("npy", "ref-fortran-be-i2.npy", npy(np.asfortranarray(np.arange(6, dtype=">i2").reshape(2, 3))))
put("npy", "ref-bool.npy", npy(np.array([True, False, True])))
put("npy", "ref-0d-f4.npy", npy(np.float32(3.5)))
put("npy", "ref-empty-u2-0x5.npy", npy(np.zeros((0, 5), dtype=np.uint16)))
put("npy", "ref-v2-i8.npy", npy(np.array([7, -7], dtype=np.int64), version=(2, 0)))
put("npy", "ref-v3-u1.npy", npy(np.array([[1, 2], [3, 4]], dtype=np.uint8), version=(3, 0)))

# ------------------------------------------------------------------ npy, invalid
put("npy", "bad-object.npy", npy(np.array([1, "a", None], dtype=object)))
put("npy", "bad-structured.npy", npy(np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")])))
put("npy", "bad-complex.npy", npy(np.array([1 + 2j], dtype=np.complex64)))
put("npy", "bad-unicode.npy", npy(np.array(["ab", "c"])))
put("npy", "bad-version-4.npy", npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                                        b"\x00" * 4, version=(4, 0)))
put("npy", "bad-header-past-end.npy",
    b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")
put("npy", "bad-shape-overflow.npy",
    npy_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"))
put("npy", "bad-negative-shape.npy",
    npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }", b"\x00" * 8))
put("npy", "bad-truncated.npy", npy(np.arange(16, dtype=np.int32))[:-5])
put("npy", "bad-missing-key.npy", npy_raw("{'descr': '<f4', 'shape': (2,), }", b"\x00" * 8))

# ------------------------------------------------------------------ npz, reference writer
buf = io.BytesIO()
np.savez(buf, a=f32, b=np.array([True, False]), c=np.arange(3, dtype=">i2"))
put("npz", "ref-savez.npz", buf.getvalue())
buf = io.BytesIO()
np.savez_compressed(buf, zeros=np.zeros(300), f=np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)))
put("npz", "ref-savez-compressed.npz", buf.getvalue())
buf = io.BytesIO()
np.savez(buf, np.float16([1, 2]), np.uint32(9))
put("npz", "ref-positional.npz", buf.getvalue())

# ------------------------------------------------------------------ npz, invalid
small = npy(np.arange(4, dtype=np.int32))
put("npz", "bad-not-npy-member.npz", zip_of([("a.npy", small), ("readme.txt", b"hello")]))
put("npz", "bad-folder-member.npz", zip_of([("dir/", b""), ("a.npy", small)]))
# The member's .npy header says 10 elements; it holds 4.
put("npz", "bad-size-mismatch.npz", zip_of([(
    "a.npy", npy_raw("{'descr': '<i4', 'fortran_order': False, 'shape': (10,), }", b"\x01" * 16))]))
put("npz", "bad-member-object.npz", zip_of([("o.npy", npy(np.array([None], dtype=object)))]))
# A deflated member whose declared uncompressed size (local header and central directory) is 2 GiB.
bomb = bytearray(zip_of([("z.npy", npy(np.zeros(2000)))], zipfile.ZIP_DEFLATED))
for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
    i = bomb.find(sig)
    bomb[i + at:i + at + 4] = struct.pack("<I", 0x7FFFFFFF)
put("npz", "bad-declared-size.npz", bytes(bomb))
crc = bytearray(zip_of([("a.npy", small)]))
crc[crc.find(b"\x93NUMPY") + 130] ^= 0x40  # a data byte: the CRC-32 no longer matches
put("npz", "bad-crc.npz", bytes(crc))
put("npz", "bad-truncated.npz", zip_of([("a.npy", small), ("b.npy", small)])[:200])
put("npz", "bad-is-npy.npz", small)
