"""A pure NumPy reader of safetensors files (ovo's checkpoints and exported subnets)."""

import json
import struct

import numpy as np

# The NumPy type of each safetensors dtype (little-endian); BF16 is read as its raw 16 bits.
DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"), "I8": np.dtype("i1"), "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
LENGTH_FIELD_SIZE = 8
METADATA_KEY = "__metadata__"


def load(path):
    """The tensors (name -> np.ndarray, in the file's dtype; BF16 as float32) and the metadata
    (str -> str) of the safetensors file `path`; ValueError naming the file if it is truncated
    or corrupt."""
    with open(path, "rb") as f:
        data = f.read()

    def corrupt(why):
        return ValueError(f"safetensors file '{path}': {why}")

    if len(data) < LENGTH_FIELD_SIZE:
        raise corrupt(f"{len(data)} bytes long, expected at least {LENGTH_FIELD_SIZE} for the "
                      "header length")
    (header_length,) = struct.unpack("<Q", data[:LENGTH_FIELD_SIZE])
    body = len(data) - LENGTH_FIELD_SIZE
    if header_length > body:
        raise corrupt(f"header length {header_length} but only {body} bytes follow the length "
                      "field (truncated or not a safetensors file)")
    try:
        header = json.loads(data[LENGTH_FIELD_SIZE:LENGTH_FIELD_SIZE + header_length])
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise corrupt(f"header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise corrupt(f"header is a JSON {type(header).__name__}, expected an object")
    data_section = memoryview(data)[LENGTH_FIELD_SIZE + header_length:]

    metadata = header.pop(METADATA_KEY, {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise corrupt(f"'{METADATA_KEY}' is {metadata!r}, expected an object of strings")
    tensors = {name: _tensor(name, entry, data_section, corrupt) for name, entry in header.items()}
    return tensors, metadata


def _tensor(name, entry, data_section, corrupt):
    """The array that header entry `entry` of tensor `name` describes in `data_section`."""
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise corrupt(f"tensor '{name}' is {entry!r}, expected an object with \"dtype\", "
                      "\"shape\" and \"data_offsets\"")
    dtype = DTYPES.get(entry["dtype"])
    if dtype is None:
        raise corrupt(f"tensor '{name}' has dtype {entry['dtype']!r}, expected one of "
                      f"{', '.join(DTYPES)}")
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or not all(_is_size(d) for d in shape):
        raise corrupt(f"tensor '{name}' has shape {shape!r}, expected a list of sizes >= 0")
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_size, offsets))
            or offsets[0] > offsets[1]):
        raise corrupt(f"tensor '{name}' has data_offsets {offsets!r}, expected [begin, end] "
                      "with 0 <= begin <= end")
    begin, end = offsets
    if end > len(data_section):
        raise corrupt(f"tensor '{name}' ends at data byte {end} but the data section holds "
                      f"{len(data_section)} bytes (truncated file?)")
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if end - begin != expected:
        raise corrupt(f"tensor '{name}' spans {end - begin} bytes, but shape {shape} of "
                      f"{entry['dtype']} needs {expected}")
    values = np.frombuffer(data_section[begin:end], dtype=dtype).reshape(shape)
    if entry["dtype"] == "BF16":
        return (values.astype(np.uint32) << 16).view(np.float32)
    return values.copy()


def _is_size(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
