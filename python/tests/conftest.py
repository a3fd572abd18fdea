"""Fixtures of the Python module's tests: the C++ reference's figures for the same seeds."""

import json
import os
import subprocess

import pytest

# The runtime ViT space with the choices of the named space "fashion-mnist".
FASHION_MNIST_CHOICES = dict(
    embed=[64, 96, 128], depth=[4, 5, 6], heads=[2, 3, 4], mlp_ratio=[2.0, 3.0, 4.0],
    image_size=28, patch_size=7, channels=1, classes=10, head_dim=32)


@pytest.fixture(scope="session")
def reference():
    program = os.environ.get("OVO_PYTHON_REFERENCE")
    if not program:
        pytest.skip("OVO_PYTHON_REFERENCE is not set (CTest sets it to ovo_python_reference)")
    return json.loads(subprocess.run([program], check=True, capture_output=True, text=True).stdout)


def fixed_images(count, shape):
    """count images of values ((i * 37) % 101) / 100 - 0.5, as the reference program makes them."""
    import numpy as np
    n = count * shape[0] * shape[1] * shape[2]
    values = ((np.arange(n, dtype=np.int64) * 37) % 101) / 100.0 - 0.5
    return values.astype(np.float32).reshape((count,) + tuple(shape))
