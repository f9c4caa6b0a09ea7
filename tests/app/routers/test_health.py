from fastapi.testclient import TestClient

from app.main import app
from app.routers.pages import PAGES


def test_health_answers_ok() -> None:
    response = TestClient(app).get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_every_page_renders_its_own_module() -> None:
    client = TestClient(app)
    for path, (_, page) in PAGES.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<script type="module" src="/static/js/pages/{page}.js"></script>' in response.text
        assert client.get(f"/static/js/pages/{page}.js").status_code == 200
