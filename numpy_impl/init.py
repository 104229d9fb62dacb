"""Seeded initialisers. Every parameter of both engines is born here, so one seed gives the same
numbers in NumPy and torch. Values are drawn in float64 and then cast, so a float32 model is the
float64 one rounded."""

import numpy as np

from .checks import seed as check_seed


def generator(seed):
    """The generator a model draws its parameters from; the seed checked first (an integer in
    [0, 2**32 - 1]), so a bad one is an ``InputError`` naming it, not an error inside NumPy."""
    return np.random.default_rng(check_seed(seed))


def normal(rng, shape, std, dtype):
    return rng.normal(0.0, std, size=shape).astype(dtype, copy=False)


def he_normal(rng, shape, dtype):
    """N(0, 2 / fan_in) for a (out, in) weight: keeps ReLU activations' variance layer to layer."""
    return normal(rng, shape, np.sqrt(2.0 / shape[1]), dtype)


def xavier_uniform(rng, shape, dtype):
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), for a (out, in) weight."""
    bound = np.sqrt(6.0 / (shape[0] + shape[1]))
    return uniform(rng, shape, bound, dtype)


def uniform(rng, shape, bound, dtype):
    return rng.uniform(-bound, bound, size=shape).astype(dtype, copy=False)


def zeros(shape, dtype):
    return np.zeros(shape, dtype=dtype)
