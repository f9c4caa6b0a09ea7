"""The lessons' experiments: residual variance against depth, dropout over many masks, parameter counts.

Each is one bounded call into :mod:`convcore`; the pages plot what comes back.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.admission import priced
from app.dependencies import SettingsDep
from app.encoding import respond
from app.json_body import JSONBodyRoute
from app.schemas.experiments import (
    RESIDUAL_MAX_NETWORKS,
    RESIDUAL_MAX_SAMPLES,
    RESIDUAL_MAX_SEED,
    RESIDUAL_MAX_WIDTH,
    DropoutExperimentRequest,
    DropoutExperimentResponse,
    ParameterCountResponse,
    ResidualResponse,
)
from app.tensors import as_array
from convcore.arithmetic import formulas
from convcore.networks import residual
from convcore.networks.cost import Cost, residual_bytes
from convcore.operations import dropout as dropout_ops

router = APIRouter(prefix="/experiments", tags=["experiments"], route_class=JSONBodyRoute)


@router.get("/residual", response_model=ResidualResponse)
def residual_experiment(
    settings: SettingsDep,
    depth: Annotated[int, Query(ge=1, le=residual.MAX_DEPTH, description="number of blocks")] = residual.MAX_DEPTH,
    width: Annotated[int, Query(ge=2, le=RESIDUAL_MAX_WIDTH, description="units per layer")] = 64,
    samples: Annotated[int, Query(ge=2, le=RESIDUAL_MAX_SAMPLES, description="inputs per network (its batch)")] = 16,
    networks: Annotated[
        int, Query(ge=1, le=RESIDUAL_MAX_NETWORKS, description="independently initialised networks")
    ] = 32,
    seed: Annotated[int, Query(ge=0, le=RESIDUAL_MAX_SEED)] = 0,
) -> Response:
    """Activation variance after 0..depth blocks: plain, residual, residual × 1/√2, residual with batch norm."""
    work = residual.check_work(
        depth=depth, width=width, samples=samples, networks=networks, max_work=settings.max_residual_work
    )
    price = Cost(residual_bytes(depth=depth, width=width, samples=samples, networks=networks), 4 * work)
    with priced(price, settings, "this experiment", "reduce networks, width or depth"):
        result = residual.run_residual_experiment(
            depth=depth, width=width, samples=samples, networks=networks, seed=seed
        )
    theoretical = {
        variant: [residual.theoretical_variance(variant, k) for k in result.depths] for variant in residual.VARIANTS
    }
    return respond(
        {
            "depths": result.depths,
            "variances": result.variances,
            "low": result.low,
            "high": result.high,
            "theoretical": theoretical,
            "ratio_per_block": result.ratio_per_block,
            "increment_per_block": result.increment_per_block,
            "depth": result.depth,
            "width": result.width,
            "samples": result.samples,
            "networks": result.networks,
            "seed": result.seed,
            "dtype": result.dtype,
            "init": result.init,
            "block": result.block,
        }
    )


@router.post("/dropout", response_model=DropoutExperimentResponse)
def dropout_experiment(body: DropoutExperimentRequest, settings: SettingsDep) -> Response:
    """Expected vs measured training activation over many masks, and the ensemble average vs inference."""
    x = as_array(body.x, "x", settings, ndim=1)
    expected = dropout_ops.expected_activation(x, p=body.p, inverted=body.inverted, training=True)
    measured = dropout_ops.measure_mean_activation(
        x, p=body.p, inverted=body.inverted, n_masks=body.n_masks, seed=body.seed
    )
    ensemble = dropout_ops.ensemble_average(x, p=body.p, inverted=body.inverted, n_masks=body.n_masks, seed=body.seed)
    return respond(
        {
            "expected_training": expected,
            "measured_training": measured,
            "inference_output": ensemble.inference_output,
            "ensemble_average": ensemble.average,
            "rms_error": ensemble.rms_error,
            "n_units": int(x.size),
            "n_distinct_masks": str(ensemble.n_distinct_masks),
            "p": body.p,
            "inverted": body.inverted,
            "n_masks": body.n_masks,
            "seed": body.seed,
        }
    )


@router.get("/parameter-count", response_model=ParameterCountResponse)
def parameter_count(
    layer: Annotated[Literal["conv2d", "linear", "batch_norm2d", "max_pool2d", "avg_pool2d"], Query()],
    in_channels: Annotated[int, Query(ge=1, le=1_000_000, description="C_in, in_features, or BN's channels")] = 1,
    out_channels: Annotated[int, Query(ge=1, le=1_000_000, description="C_out or out_features")] = 1,
    kernel_size: Annotated[int, Query(ge=1, le=64)] = 3,
    groups: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    bias: bool = True,
) -> Response:
    """Trainable parameters of one layer, as the lecture asks ("how many trainable parameters?")."""
    params, formula = formulas.params_formula(
        layer, in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size, groups=groups, bias=bias
    )
    return respond({"layer": layer, "params": params, "formula": formula})
