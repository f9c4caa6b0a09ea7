"""GET /api/v1/kernels: status and body."""

from fastapi.testclient import TestClient

from app.main import app

#: The presets in teaching order, with their weights as the lecture writes them.
WEIGHTS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box_blur_3": [[1 / 9] * 3] * 3,
    "box_blur_5": [[1 / 25] * 5] * 5,
    "gaussian_blur_3": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "gaussian_blur_5": [[a * b / 256 for b in (1, 4, 6, 4, 1)] for a in (1, 4, 6, 4, 1)],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "laplacian_4": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "laplacian_8": [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt_x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt_y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
}


def test_kernels_lists_every_preset_in_order_with_its_weights() -> None:
    response = TestClient(app).get("/api/v1/kernels")
    assert response.status_code == 200
    kernels = response.json()["kernels"]
    assert [k["name"] for k in kernels] == list(WEIGHTS)
    for kernel in kernels:
        assert kernel["weights"] == WEIGHTS[kernel["name"]], kernel["name"]
        assert set(kernel) == {"name", "weights", "description_ru", "description_en"}


def test_descriptions_in_both_languages() -> None:
    kernels = {k["name"]: k for k in TestClient(app).get("/api/v1/kernels").json()["kernels"]}
    assert kernels["identity"]["description_en"] == "Identity: copies the input unchanged."
    assert kernels["sobel_x"]["description_en"].startswith("Sobel x: left-to-right derivative smoothed vertically")
    assert all(k["description_ru"] and k["description_ru"] != k["description_en"] for k in kernels.values())
