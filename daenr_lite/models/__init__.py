"""Models: the DAE, the CNN-FR and the DAE-NR, built from an encoder, a decoder and a factorized readout.

Every model's ``forward(x)`` takes raw images ``(batch, 1, H, W)`` in [0, 1] and returns
``{"reconstruction": (batch, 1, H, W) or None, "responses": (batch, neurons) or None,
"features": [h1, h2, h3, h4]}``.
"""
from .base import NeuralModel
from .cnn_fr import CNNFR
from .dae import DAE, compression_ratio
from .dae_nr import DAENR
from .decoder import Decoder
from .encoder import Encoder
from .factory import MODEL_KINDS, build_model
from .readout import FactorizedReadout
from .registry import MODEL_CODE_VERSION, MODEL_SPECS, ModelSpec, model_names, model_spec

__all__ = [
    "Encoder",
    "Decoder",
    "FactorizedReadout",
    "NeuralModel",
    "DAE",
    "CNNFR",
    "DAENR",
    "build_model",
    "compression_ratio",
    "MODEL_KINDS",
    "MODEL_SPECS",
    "MODEL_CODE_VERSION",
    "ModelSpec",
    "model_spec",
    "model_names",
]
