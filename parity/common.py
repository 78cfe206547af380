"""Shared by the parity generators: the versions that made a golden file, and writing it."""
import json
import os
import struct

import jax
import numpy as np
import safetensors
import safetensors.numpy

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity", "golden")


def versions():
    """Package versions, stored in every golden file's metadata."""
    import flax
    import optax
    return {"jax": jax.__version__, "jaxlib": jax.lib.__version__ if hasattr(jax.lib, "__version__")
            else __import__("jaxlib").__version__, "flax": flax.__version__,
            "optax": optax.__version__, "numpy": np.__version__,
            "safetensors": safetensors.__version__}


DTYPES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "uint16": "U16", "int16": "I16",
          "float16": "F16", "uint32": "U32", "int32": "I32", "float32": "F32", "uint64": "U64",
          "int64": "I64", "float64": "F64"}


def save(name, tensors, **metadata):
    """Writes tests/parity/golden/<name>.safetensors.

    The file is laid out here, not by safetensors.numpy.save_file: that writer emits the metadata
    in a hash map's order, which changes from run to run, and golden files must regenerate bit for
    bit.  Same format: entries sorted by item size (larger first) then name, keys and metadata in
    sorted order, the header padded with spaces to a multiple of 8.
    """
    # np.array, not np.ascontiguousarray, which turns 0-d arrays into 1-d ones.
    arrays = {k: np.array(np.asarray(v), order="C") for k, v in tensors.items()}
    meta = versions()
    meta.update({k: str(v) for k, v in metadata.items()})
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    header, offset = {"__metadata__": dict(sorted(meta.items()))}, 0
    for k in order:
        a = arrays[k]
        header[k] = {"dtype": DTYPES[a.dtype.name], "shape": list(a.shape),
                     "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    os.makedirs(GOLDEN, exist_ok=True)
    path = os.path.join(GOLDEN, name + ".safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for k in order:
            f.write(arrays[k].astype(arrays[k].dtype.newbyteorder("<"), copy=False).tobytes())
    safetensors.numpy.load_file(path)  # the reference reader must accept it
    print(f"wrote {path}: {len(arrays)} arrays")
