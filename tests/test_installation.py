"""wic-etl's floors are plain top-level names: the command refuses to run another's."""

from __future__ import annotations

from importlib.metadata import packages_distributions

from tests.conftest import ROOT, run_cli
from wic_etl.installation import FLOORS

NO_SERVER = {"PREFECT_API_URL": ""}  # the check comes before anything talks to Prefect


def test_the_floors_listed_are_the_packages_pyproject_installs():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "fixtures"}
    assert set(FLOORS) | {"wic_etl"} == packages


def test_no_installed_distribution_but_wic_etl_ships_a_floors_name():
    owners = packages_distributions()
    for name in (*FLOORS, "wic_etl"):
        assert set(owners.get(name, [])) == {"wic-etl"}, name


def test_a_folder_of_the_same_name_on_the_path_stops_the_command(tmp_path):
    (tmp_path / "loaders").mkdir()
    (tmp_path / "loaders" / "__init__.py").write_text("raise SystemExit('ran the intruder')\n")
    env = {**NO_SERVER, "PYTHONPATH": str(tmp_path)}
    result = run_cli("status", "--db", str(tmp_path / "wic.db"), env=env)
    assert result.returncode == 1
    assert f"the package 'loaders' is imported from {tmp_path / 'loaders'}" in result.stderr
    assert "environment of its own" in result.stderr
    assert "ran the intruder" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_another_distributions_package_is_named(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    info = tmp_path / "corekit-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: corekit\nVersion: 2.0\n")
    (info / "top_level.txt").write_text("core\n")
    result = run_cli("--help", env={**NO_SERVER, "PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1
    assert "it belongs to corekit" in result.stderr
    assert "usage:" not in result.stdout
