"""ovo: one-shot neural architecture search of vision models.

Search spaces with exact parameter and multiply-add counts, evolutionary, random and sampler
searches driven by any Python fitness (a PyTorch supernet's accuracy, say), the training samplers
(uniform, sandwich, OVO, FocusFormer) as arch generators, and ovo's own CPU supernet. Archs are
dicts: ``{"embed", "depth", "heads", "mlp_ratio"}`` for ViT spaces, ``{"stages": [...]}`` for EMO.
"""

from ._ovo import FocusFormerSampler, Space, Supernet, spaces

__all__ = ["FocusFormerSampler", "Space", "Supernet", "spaces"]
