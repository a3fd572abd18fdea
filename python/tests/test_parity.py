"""The module against the C++ library for the same seeds: samples, costs, mutations, searches,
samplers' draws and supernet logits."""

import numpy as np
import pytest

import ovo
from conftest import FASHION_MNIST_CHOICES, fixed_images


def space_of(name):
    return ovo.Space.vit(**FASHION_MNIST_CHOICES) if name == "vit" else ovo.Space(name)


# "vit": the run-time ViT space of the fashion-mnist choices, which must act as the named one does.
CASES = [("fashion-mnist", "fashion-mnist"), ("vit", "fashion-mnist"),
         ("emo-fashion-mnist", "emo-fashion-mnist")]


@pytest.mark.parametrize("name,expected", CASES)
def test_samples_costs_mutations(reference, name, expected):
    space, ref = space_of(name), reference[expected]
    samples = space.sample(11, count=6)
    assert samples == ref["samples"]
    assert [space.params(a) for a in samples] == ref["params"]
    assert [space.macs(a) for a in samples] == ref["macs"]
    assert [space.mutate(a, 100 + i) for i, a in enumerate(samples)] == ref["mutations"]
    crossovers = [space.crossover(a, b, 200 + i) if space.crossable(a, b) else None
                  for i, (a, b) in enumerate(zip(samples, samples[1:]))] + [None]
    assert crossovers == ref["crossovers"]
    for a in samples:
        assert space.decode(space.encode(a)) == a
        assert space.from_json(space.to_json(a)) == a


@pytest.mark.parametrize("name,expected", CASES)
def test_searches_with_a_python_fitness(reference, name, expected):
    space, ref = space_of(name), reference[expected]
    calls = []

    def fitness(a):
        calls.append(a)
        return space.macs(a) / space.params(a)

    limit = 0.6 * space.params(space.largest())
    result = space.evolutionary_search(fitness, max_params=limit, population=12, generations=3,
                                       parents=4, mutations=6, crossovers=6, seed=3)
    assert result == ref["evolution"]
    assert len(calls) == len(result["history"])
    assert all(c["params"] <= limit for c in result["history"])
    assert space.random_search(fitness, 20, max_params=limit, seed=4) == ref["random"]


@pytest.mark.parametrize("name,expected", CASES)
def test_samplers_draw_as_the_trainer_does(reference, name, expected):
    space, ref = space_of(name), reference[expected]
    for strategy in ("ovo", "sandwich"):
        drawn = [space.draw_step(step, seed=5, strategy=strategy) for step in range(4)]
        assert drawn == ref["steps"][strategy]
    sampler = space.focusformer_sampler(seed=6, bins=3, bin_sample=256)
    assert sampler.edges == ref["focusformer"]["edges"]
    assert [sampler.draw_step(step, seed=7) for step in range(3)] == ref["focusformer"]["steps"]


@pytest.mark.parametrize("name,expected", CASES)
def test_supernet_logits(reference, name, expected):
    space = space_of(name)
    net = space.supernet(max_batch=3, seed=0)
    images = fixed_images(3, net.input_shape)
    for arch, logits in zip([space.smallest(), space.largest()], reference[expected]["logits"]):
        # The module multiplies with OpenBLAS or Eigen (auto_gemm), the reference with Eigen.
        np.testing.assert_allclose(net.forward(arch, images).ravel(), logits, rtol=1e-4,
                                   atol=1e-5)
