"""OpenAPI-driven fuzzing (schemathesis): generated requests, valid and invalid, never get a 5xx.

Every operation in ``/api/v1/openapi.json`` is driven through the ASGI app with a bounded number of
Hypothesis examples and must never answer 5xx. The shape, solver, receptive-field, architecture and
conv/pool operations get more examples, and their answers must also match the documented response schemas
(2xx bodies and 4xx errors alike). The whole run stays under about a minute on two cores.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.main import app

SHAPES_AND_OPS = (
    r"^/api/v1/(output-size|shapes|solve|receptive-field/region|architectures(/\{name\})?"
    r"|ops/(conv2d|conv_transpose2d|max_pool2d|avg_pool2d|global_avg_pool2d))$"
)

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@schema.include(path_regex=SHAPES_AND_OPS).parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_shapes_and_ops_never_5xx_and_match_their_schemas(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])


@schema.exclude(path_regex=SHAPES_AND_OPS).parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_other_operations_never_5xx(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])
