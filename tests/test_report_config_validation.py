"""The whole report configuration is validated before any stage runs (issue 12): each bad
value is a ConfigError naming the section, the key and the value; the CLI exits with code 2
and writes nothing."""
from __future__ import annotations

import pytest

from spatialnqpf import cli
from spatialnqpf.report.config import ConfigError, load_config

CASES = [
    ("[seeds]\nseed = true", "[seeds] seed", "True"),
    ("[seeds]\nseed = -3", "[seeds] seed", "-3"),
    ("[models]\neffects_nsim = -1", "[models] effects_nsim", "-1"),
    ("[fonts]\npath = \"/no/such/font.ttf\"", "[fonts] path", "/no/such/font.ttf"),
    ("[weights]\nmatrices = \"contiguity\"", "[weights] matrices", '["contiguity"]'),
    ("[weights]\nmatrices = [\"contiguty\"]", "[weights] matrices", "did you mean 'contiguity'"),
    ("[data]\nyears = [2022, 2013]", "[data] years", "[2013, 2022]"),
    ("[output]\nformats = [\"pdf\"]", "[output] formats", "'pdf'"),
    ("[output]\ndpi = \"high\"", "[output] dpi", "'high'"),
    ("[inequality]\nbootstrap = -5", "[inequality] bootstrap", "-5"),
    ("[output]\nfigures = [\"../../evil.png\"]", "[output] figures", "'../../evil.png'"),
    ("[dynamics]\nmarkov_classes = 1", "[dynamics] markov_classes", "1"),
    ("[weights]\nk = 2.5", "[weights] k", "2.5"),
    ("[index]\nshift = 1e12", "[index] shift", "1000000000000.0"),
    ("[models]\nfe = \"threeways\"", "[models] fe", "threeways"),
    ("[models]\nweights = [\"knn\"]", "[models] weights", "'knn'"),
    ("[models]\nx = []", "[models] x", "empty"),
    ("[data]\nencoding = \"klingon\"", "[data] encoding", "'klingon'"),
    ("[variables]\n\"2x\" = \"gdp\"", "[variables] name", "'2x'"),
    ("[autocorrelation]\npermutations = \"many\"", "[autocorrelation] permutations", "'many'"),
]


@pytest.mark.parametrize("toml, where, shown", CASES)
def test_bad_value_names_section_key_and_value(tmp_path, toml, where, shown):
    p = tmp_path / "c.toml"
    p.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert where in msg and shown in msg, msg


@pytest.mark.parametrize("toml, where, shown", CASES[:6])
def test_cli_refuses_before_any_stage(tmp_path, capsys, toml, where, shown):
    p = tmp_path / "c.toml"
    p.write_text(toml + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["report", "--config", str(p), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert where in err and err.count("\n") == 1
    assert not out.exists()


def test_valid_values_still_accepted(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[seeds]\nseed = 0\n[models]\neffects_nsim = 1\nfe = "both"\n'
                 '[weights]\nmatrices = ["knn"]\nk = 3\n[output]\ndpi = 72.5\nformats = []\n'
                 '[data]\nyears = [2013, 2013]\n[variables]\n"增长" = "growth(gdp)"\n',
                 encoding="utf-8")
    cfg = load_config(p)
    assert cfg.seed == 0 and cfg.get("weights", "k") == 3
