"""Models of the lesson experiments (``/experiments/...``)."""

from pydantic import BaseModel, Field

from app.schemas.common import RequestModel, Row

#: The bounds of the experiments' single fields, which the routers' parameters use and the pages render
#: (app.limits); what a whole request may cost is bounded in app.settings.Settings.

#: Dropout masks drawn for one measurement.
MAX_MASKS = 2000
#: The residual experiment (depth: convcore.networks.residual.MAX_DEPTH); convcore's own bounds are wider
#: library guards, Settings.max_residual_work bounds the product.
RESIDUAL_MAX_WIDTH = 128
RESIDUAL_MAX_SAMPLES = 256
RESIDUAL_MAX_NETWORKS = 64
RESIDUAL_MAX_SEED = 2**32 - 1
#: Why-conv's counts stay below 2^53 (exact in a browser's numbers) within these bounds.
WHY_MAX_CHANNELS = 64
WHY_MAX_SIDE = 1024
WHY_MAX_KERNEL = 15
#: The permutation experiment: the image is scaled to side² pixels, the dense layer has up to MAX_UNITS outputs.
PERMUTATION_MIN_SIDE = 4
PERMUTATION_MAX_SIDE = 64
MAX_UNITS = 256
#: The equivariance experiment's seeded stack and the shift of the photo, in pixels either way.
EQUIVARIANCE_MAX_LAYERS = 3
EQUIVARIANCE_MAX_CHANNELS = 8
EQUIVARIANCE_MAX_KERNEL = 7
EQUIVARIANCE_MAX_STRIDE = 4
EQUIVARIANCE_MAX_BLUR = 5
MAX_SHIFT = 32
MAX_SEED = 2**31 - 1


class ResidualResponse(BaseModel):
    depths: list[int] = Field(description="0..depth; 0 is the input")
    variances: dict[str, list[float]] = Field(description="variance after each depth, pooled over all networks")
    low: dict[str, list[float]] = Field(description="10th percentile of the per-network variance")
    high: dict[str, list[float]] = Field(description="90th percentile of the per-network variance")
    theoretical: dict[str, list[float]] = Field(description="the argument's prediction for Var(h_0) = 1")
    ratio_per_block: dict[str, float] = Field(description="2^slope of log2(variance) fitted over all depths")
    increment_per_block: dict[str, float] = Field(description="slope of the variance itself")
    depth: int
    width: int
    samples: int
    networks: int
    seed: int
    dtype: str
    init: str
    block: str


class DropoutExperimentRequest(RequestModel):
    x: Row = Field(description="activations of one layer (a vector of units)")
    p: float = Field(0.5, ge=0.0, le=1.0, description="probability of dropping a unit")
    inverted: bool = True
    n_masks: int = Field(200, ge=1, le=MAX_MASKS, description="masks drawn for the measurement")
    seed: int = Field(0, ge=0, le=2**32 - 1)


class DropoutExperimentResponse(BaseModel):
    expected_training: list[float] = Field(description="E[output] over masks in training, per unit")
    measured_training: list[float] = Field(description="mean training output over n_masks masks, per unit")
    inference_output: list[float]
    ensemble_average: list[float] = Field(description="mean of the n_masks masked outputs")
    rms_error: list[float] = Field(description="RMS(mean of first k masked outputs − inference output), k=1..n")
    n_units: int
    n_distinct_masks: str = Field(description="2^n_units as decimal digits (exact; may exceed 2^53)")
    p: float
    inverted: bool
    n_masks: int
    seed: int


class ParameterCountResponse(BaseModel):
    layer: str
    params: int
    formula: str = Field(description="the count with the numbers plugged in")


class LayerCost(BaseModel):
    module: str = Field(description="the torch module (or, locally connected, the layer) it counts")
    params: int
    macs: int
    params_formula: str
    macs_formula: str


class WhyConvResponse(BaseModel):
    layers: dict[str, LayerCost] = Field(description="dense, locally_connected, conv")
    locality_saving: float = Field(description="dense params / locally connected params")
    sharing_saving: float = Field(description="locally connected params / conv params")
    sweep: dict[str, list[int]] = Field(description="sides (square images) and each layer's params at that side")
