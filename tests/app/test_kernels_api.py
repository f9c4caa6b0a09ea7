from fastapi.testclient import TestClient

from app.main import app
from convcore.kernels import list_kernels


def test_kernels_lists_every_preset_with_weights_and_descriptions() -> None:
    response = TestClient(app).get("/api/v1/kernels")
    assert response.status_code == 200
    assert response.json() == {
        "kernels": [
            {
                "name": k.name,
                "weights": k.weights.tolist(),
                "description_ru": k.description_ru,
                "description_en": k.description_en,
            }
            for k in list_kernels()
        ]
    }


def test_sobel_x_is_served_as_convcore_defines_it() -> None:
    body = TestClient(app).get("/api/v1/kernels").json()
    sobel = next(k for k in body["kernels"] if k["name"] == "sobel_x")
    assert sobel["weights"] == [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]
