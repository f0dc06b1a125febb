"""Reading TOML inputs and --set overrides (rackplan._io)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from rackplan._io import apply_overrides, load_toml, parse_override, resolve, validate
from rackplan.errors import InputError, SiteError
from rackplan.units import FractionField, QuantityField


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = "dry_cooler"


class _Toy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    utility_power: QuantityField("W", gt=0)
    plant: _Inner = _Inner()


def test_load_toml_names_the_missing_file(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(SiteError) as info:
        load_toml(missing, SiteError)
    assert str(info.value) == f"{missing}: file not found"


def test_load_toml_reports_malformed_toml_with_its_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nutility_power = = 3\n')
    with pytest.raises(InputError) as info:
        load_toml(bad)
    assert str(bad) in str(info.value)
    assert "malformed TOML" in str(info.value) and "line 2" in str(info.value)


def test_validate_names_file_and_field_for_a_wrong_dimension():
    with pytest.raises(InputError) as info:
        validate(_Toy, {"utility_power": "18 kg"}, source="site.toml")
    assert str(info.value) == "site.toml: utility_power: '18 kg' is not a power (expected units like W)"


def test_validate_suggests_the_field_meant():
    with pytest.raises(InputError) as info:
        validate(_Toy, {"utility_power": "18 MW", "utility_powr": "1 MW"}, source="s.toml")
    message = str(info.value)
    assert message.startswith("s.toml: utility_powr: unknown field")
    assert "'utility_power'" in message


def test_validate_lists_every_problem_on_one_line():
    with pytest.raises(InputError) as info:
        validate(_Toy, {"utility_power": "-1 MW", "x": 1, "y": 2}, source="s.toml")
    message = str(info.value)
    assert message == ("s.toml: x: unknown field (also y); "
                       "utility_power: -1e+06 W must be greater than 0 W")
    assert info.value.field == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pue=1.3", ("pue", 1.3)),
        ("units_per_rack=4", ("units_per_rack", 4)),
        ("utility_power=20 MW", ("utility_power", "20 MW")),
        ('utility_power="20 MW"', ("utility_power", "20 MW")),
        ("redundancy=N+1", ("redundancy", "N+1")),
        ("cooling_plant.type=chiller", ("cooling_plant.type", "chiller")),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["pue", "=1.3"])
def test_parse_override_rejects_what_is_not_field_equals_value(text):
    with pytest.raises(InputError, match="--set"):
        parse_override(text)


def test_apply_overrides_routes_known_fields_and_returns_the_rest():
    data = {"utility_power": "18 MW", "plant": {"kind": "dry_cooler"}}
    new, leftover = apply_overrides(
        data, {"utility_power": "20 MW", "plant.kind": "chiller", "btc_price": 1}, _Toy
    )
    assert new == {"utility_power": "20 MW", "plant": {"kind": "chiller"}}
    assert leftover == {"btc_price": 1}
    assert data["plant"]["kind"] == "dry_cooler"  # the input is not changed


def test_resolve_finds_ids_paths_and_suggests_close_ids(tmp_path):
    (tmp_path / "gpu").mkdir()
    (tmp_path / "gpu" / "gb300-nvl72.toml").write_text("")
    assert resolve("gb300-nvl72", tmp_path, "profile", InputError).name == "gb300-nvl72.toml"
    own = tmp_path / "mine.toml"
    own.write_text("")
    assert resolve(str(own), tmp_path, "profile", InputError) == own
    with pytest.raises(InputError) as info:
        resolve("gb300-nvl27", tmp_path, "profile", InputError)
    assert str(info.value) == "--profile: unknown profile id 'gb300-nvl27'; did you mean 'gb300-nvl72'?"
    with pytest.raises(InputError, match="file not found"):
        resolve(str(tmp_path / "other.toml"), tmp_path, "profile", InputError)


# --- hardening: files that are not small regular UTF-8 TOML files --------------------------

import os  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

from rackplan._io import MAX_FILE_BYTES, REFERENCE_RULE, looks_like_path  # noqa: E402
from rackplan.errors import MarketError, ProfileError, shown  # noqa: E402

from conftest import BROKEN  # noqa: E402


@contextmanager
def _deadline(seconds: int):
    """Fail instead of hanging (a FIFO opened for reading waits for a writer forever)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _deep(kind: str, depth: int) -> str:
    if kind == "array":
        return "x = " + "[" * depth + "]" * depth + "\n"
    if kind == "inline":
        return "x = " + "{a = " * depth + "1" + "}" * depth + "\n"
    return "x = " + "[{a = " * depth + "1" + "}]" * depth + "\n"


@pytest.mark.parametrize("kind", ["array", "inline", "mixed"])
@pytest.mark.parametrize("depth", [500, 5_000, 100_000])
def test_deep_nesting_is_malformed_toml_not_a_recursion_error(tmp_path, kind, depth):
    path = tmp_path / "deep-nesting.toml"
    text = _deep(kind, depth)
    if len(text.encode()) > MAX_FILE_BYTES:
        text = text[: MAX_FILE_BYTES // 2]  # unclosed, and still deep
    path.write_text(text)
    with pytest.raises(SiteError) as info:
        load_toml(path, SiteError)
    assert info.value.source == str(path)
    assert "malformed TOML" in info.value.message


def test_a_utf8_byte_order_mark_is_accepted():
    data = load_toml(BROKEN / "bom.toml")
    assert data["name"] == "BOM site" and data["utility_power"] == "18 MW"


@pytest.mark.parametrize(("data", "fragment"), [
    ("name = 'x'\n".encode("utf-16"), "not UTF-8 text"),
    (b"name = '\xff\xfe'\n", "not UTF-8 text"),
    (b"\xef\xbb\xbf\xef\xbb\xbfname = 'x'\n", "malformed TOML"),  # two marks: the 2nd is text
])
def test_text_that_is_not_utf8_toml_names_the_file(tmp_path, data, fragment):
    path = tmp_path / "odd.toml"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_toml(path)
    assert str(info.value).startswith(f"{path}: ") and fragment in str(info.value)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused_before_it_is_read(device):
    with _deadline(20), pytest.raises(SiteError) as info:
        load_toml(device, SiteError)
    assert str(info.value) == f"{device}: is not a regular file (a device, FIFO or socket); " \
                              "give a TOML file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "site.toml"
    os.mkfifo(fifo)
    with _deadline(20), pytest.raises(SiteError, match="is not a regular file"):
        load_toml(fifo, SiteError)


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(MarketError) as info:
        load_toml(big, MarketError)
    assert str(info.value).startswith(f"{big}: file too large (")
    ok = tmp_path / "ok.toml"
    ok.write_bytes(b"# " + b"x" * (MAX_FILE_BYTES - 20) + b"\nname = 'x'\n")
    assert load_toml(ok) == {"name": "x"}


@pytest.mark.parametrize("name", ["a\0b.toml", "x" * 5000 + ".toml", "folder"])
def test_odd_paths_are_one_error_naming_them(tmp_path, name):
    if name == "folder":
        target = tmp_path
        expected = "is a folder, not a TOML file"
    else:
        target = str(tmp_path / name)
        expected = "cannot read file"
    with pytest.raises(ProfileError) as info:
        load_toml(target, ProfileError)
    assert expected in str(info.value)
    assert "\n" not in str(info.value) and "\x00" not in str(info.value)


# --- references: a path or a built-in id, by a rule a user can predict -----------------------

@pytest.mark.parametrize(("ref", "is_path"), [
    ("moses-lake", False), ("gb300-nvl72", False), ("2025-11-13", False),
    ("moses-lake.toml", True), ("./moses-lake", True), ("sites/mine", True),
    ("..\\\\mine", True), (Path("moses-lake"), True),
])
def test_the_path_or_id_rule(ref, is_path):
    assert looks_like_path(ref) is is_path
    assert "'/'" in REFERENCE_RULE and "'.toml'" in REFERENCE_RULE


def test_a_file_in_the_current_folder_does_not_shadow_a_builtin_id(tmp_path, monkeypatch):
    (tmp_path / "gpu").mkdir()
    (tmp_path / "gpu" / "gb300-nvl72.toml").write_text("name = 'built-in'\n")
    monkeypatch.chdir(tmp_path)
    Path("gb300-nvl72").write_text("garbage")
    assert resolve("gb300-nvl72", tmp_path, "profile", InputError) == \
        tmp_path / "gpu" / "gb300-nvl72.toml"
    assert resolve("./gb300-nvl72", tmp_path, "profile", InputError) == Path("./gb300-nvl72")
    Path("mine").write_text("name = 'mine'\n")
    with pytest.raises(InputError) as info:
        resolve("mine", tmp_path, "profile", InputError)
    assert "unknown profile id 'mine'" in str(info.value)
    assert "write ./mine to read it" in str(info.value)


def test_a_long_unknown_id_is_cut_in_the_message(tmp_path):
    with pytest.raises(InputError) as info:
        resolve("z" * 10_000, tmp_path, "site", InputError)
    assert len(str(info.value)) < 300 and shown("z" * 10_000) in str(info.value)


# --- validation messages: every problem, one line ------------------------------------------

def test_a_validation_message_lists_problems_and_counts_the_rest():
    class Many(BaseModel):
        model_config = ConfigDict(extra="forbid")
        a: int
        b: int
        c: QuantityField("W", gt=0)

    with pytest.raises(InputError) as info:
        validate(Many, {"c": "-1 W", **{f"extra_{i}": i for i in range(200)}}, source="m.toml")
    message = str(info.value)
    assert message.startswith("m.toml: extra_0: unknown field (also extra_1, extra_2")
    assert message.endswith("more problems") and "\n" not in message
    assert len(message) < 300


def test_a_long_or_odd_input_is_cut_and_escaped_in_a_validation_message():
    class Named(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: str

    with pytest.raises(InputError) as info:
        validate(Named, {"name": ["x" * 10_000], "": 1, "a.b\n": 2}, source="n.toml")
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    assert "'': unknown field" in message or "''" in message
    assert "'a.b\\n'" in message


@pytest.mark.parametrize(("text", "value"), [
    ("pue=1.3 # comment", "1.3 # comment"),  # a comment is not dropped: the field refuses it
    ("utility_power=" + "1" * 200_000, "1" * 200_000),  # past Python's int conversion limit
    ("x=" + "[" * 5000 + "]" * 5000, "[" * 5000 + "]" * 5000),  # deeper than tomllib goes
    ("pue=1.3\nname=2", "1.3\nname=2"),
])
def test_an_override_that_is_not_one_plain_toml_value_stays_a_string(text, value):
    assert parse_override(text)[1] == value


def test_an_error_line_is_one_safe_line_whatever_its_parts_hold():
    err = InputError("bad\nvalue\x1b[31m", source="dir\nname.toml", field="f" * 1000)
    text = str(err)
    assert "\n" not in text and "\x1b" not in text
    assert text.startswith("dir\\nname.toml: " + "f" * 60 + "…: bad\\nvalue\\x1b[31m")


# --- the same through the command line: one line, exit 2 -----------------------------------

def _one_line(code, out, err, *pieces):
    assert code == 2, err
    assert out == ""
    assert err.count("\n") == 1  # "rackplan: error: ..." (profiles validate: "<file>: ...")
    assert "Traceback" not in err
    for piece in pieces:
        assert piece in err, (piece, err)


def _bad_files(tmp_path):
    deep = tmp_path / "deep-nesting.toml"
    deep.write_text(_deep("array", 500))
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    utf16 = tmp_path / "utf16.toml"
    utf16.write_bytes("name = 'x'\n".encode("utf-16"))
    files = {"deep": (deep, "nested too deeply"), "big": (big, "file too large"),
             "utf16": (utf16, "not UTF-8 text")}
    if Path("/dev/zero").exists():
        files["zero"] = (Path("/dev/zero"), "is not a regular file")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo.toml"
        os.mkfifo(fifo)
        files["fifo"] = (fifo, "is not a regular file")
    return files


@pytest.mark.parametrize("flag", ["--site", "--market", "--mining-profile", "--gpu-profile"])
def test_bad_files_through_compare_are_one_line(run_cli, tmp_path, flag):
    for path, fragment in _bad_files(tmp_path).values():
        with _deadline(60):
            code, out, err = run_cli("compare", flag, str(path))
        _one_line(code, out, err, f"rackplan: error: {path}", fragment)


def test_bad_files_through_size_are_one_line(run_cli, tmp_path):
    for path, fragment in _bad_files(tmp_path).values():
        for flag in ("--site", "--profile"):
            with _deadline(60):
                code, out, err = run_cli("size", flag, str(path))
            _one_line(code, out, err, str(path), fragment)


def test_profiles_validate_reports_each_bad_file_and_checks_them_all(run_cli, tmp_path):
    good = Path(__file__).parent / "data" / "profiles" / "toy-gpu.toml"
    files = _bad_files(tmp_path)
    with _deadline(60):
        code, out, err = run_cli("profiles", "validate", *(str(p) for p, _ in files.values()),
                                 str(good))
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == len(files)
    for line, (path, fragment) in zip(lines, files.values()):
        assert str(path) in line
        assert fragment in line or "not a regular file" in line
    assert str(good) in out or "ok" in out


def test_a_bom_file_works_from_the_command_line(run_cli):
    code, out, err = run_cli("size", "--site", str(BROKEN / "bom.toml"), "--format", "json")
    assert code == 0, err
    assert '"BOM site"' in out or "BOM site" in out


@pytest.mark.parametrize(("args", "name"), [
    (("size", "--site", "moses-lake"), "moses-lake"),
    (("size", "--profile", "gb300-nvl72"), "gb300-nvl72"),
    (("hashprice", "--market", "2025-11-13"), "2025-11-13"),
])
def test_a_file_named_like_a_builtin_id_does_not_shadow_it(run_cli, tmp_path, monkeypatch,
                                                           args, name):
    monkeypatch.chdir(tmp_path)
    Path(name).write_text("this = is not [valid\n")
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    code, out, err = run_cli(*args[:-1], f"./{name}")
    shown_as = f"./{name}" if f"./{name}" in err else str(tmp_path / name)  # profiles: resolved
    _one_line(code, out, err, shown_as, "malformed TOML")


def test_a_validation_message_names_every_field_whose_reason_does_not_fit():
    class Market(BaseModel):
        model_config = ConfigDict(extra="forbid")
        btc_price: QuantityField("USD/BTC", gt=0)
        pool_fee: FractionField()
        power_price: QuantityField("USD/MWh")
        utilization: FractionField()
        discount_rate: FractionField()

    data = {"btc_price": "-5 USD/BTC", "pool_fee": "5 kg", "power_price": "abc",
            "utilization": 7, "discount_rate": "x"}
    with pytest.raises(InputError) as info:
        validate(Market, data, source="market.toml")
    message = str(info.value)
    assert message.startswith("market.toml: btc_price: ")
    assert "more problem" not in message and len(message) < 300
    for field in data:  # each field with a problem is named, with its reason or without
        assert field in message, field
    assert "; also wrong: " in message


# --- files remembered while unchanged ------------------------------------------------------------


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    stamp = path.stat().st_mtime_ns + 1_000_000_000  # a second later, whatever the clock's grain
    os.utime(path, ns=(stamp, stamp))


def test_a_site_file_is_remembered_until_it_changes(tmp_path):
    from rackplan.facility.site import load_site, sites_dir

    path = tmp_path / "mine.toml"
    path.write_text((sites_dir() / "moses-lake.toml").read_text())
    first = load_site(path)
    assert load_site(path) is first and load_site(str(path)).id == "mine"
    # overrides build a new site and leave the remembered one as it was
    assert load_site(path, {"utility_power": "20 MW"}).utility_power.m_as("MW") == 20
    assert load_site(path) is first and first.utility_power.m_as("MW") == 18
    _rewrite(path, 'utility_power = "18 MW"', 'utility_power = "24.5 MW"')
    assert load_site(path).utility_power.m_as("MW") == 24.5
    _rewrite(path, 'utility_power = "24.5 MW"', 'utility_power = "-1 MW"')
    with pytest.raises(SiteError) as info:  # a broken edit is reported, not the old file
        load_site(path)
    assert info.value.field == "utility_power" and str(path) in str(info.value)


def test_a_market_file_is_remembered_until_it_changes(tmp_path):
    from rackplan.economics.market import load_market, markets_dir

    path = tmp_path / "today.toml"
    path.write_text((markets_dir() / "2025-11-13.toml").read_text())
    first = load_market(path)
    assert load_market(path) is first and first.btc_price.m_as("USD/BTC") == 98076
    assert load_market(path, {"btc_price": "90000 USD/BTC"}).btc_price.m_as("USD/BTC") == 90000
    assert load_market(path) is first
    _rewrite(path, 'btc_price = "98076 USD/BTC"', 'btc_price = "101234.5 USD/BTC"')
    assert load_market(path).btc_price.m_as("USD/BTC") == 101234.5
    assert load_market("2025-11-13") is load_market(None)  # the built-in, by id or default
