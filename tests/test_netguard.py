"""The fetch guard's rule (pure): which addresses are public, the allow list, `allow_networks`."""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest

from wirewatch.config.settings import load_config
from wirewatch.errors import AddressRefused, ConfigError
from wirewatch.ingest.netguard import NetworkGuard, parse_network, refusal


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("127.0.0.1", "a loopback address"),
        ("127.255.0.9", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.254", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("169.254.169.254", "the cloud metadata address (link-local)"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("100.64.0.1", "a shared (CGNAT) address"),
        ("100.127.255.254", "a shared (CGNAT) address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("255.255.255.255", "the broadcast address"),
        ("240.0.0.1", "a reserved address"),
        ("192.0.2.10", "a special-purpose address"),
        ("198.18.0.1", "a special-purpose address"),
        ("2001:db8::1", "a special-purpose address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "the cloud metadata address (link-local)"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "a private address"),  # NAT64 of 10.0.0.1
        ("::127.0.0.1", "a special-purpose address"),  # IPv4-compatible (deprecated)
    ],
)
def test_non_public_addresses_are_named(address: str, why: str) -> None:
    """Every non-public range is refused, and the refusal says which kind it is."""
    assert why == refusal(ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.215.14", "100.128.0.1", "172.32.0.1", "2606:4700::1111"]
)
def test_public_addresses_pass(address: str) -> None:
    """Public unicast addresses, including the neighbours of the private ranges, pass."""
    assert refusal(ip_address(address)) is None


def test_the_allow_list_lets_its_networks_through_and_maps_ipv4_in_ipv6() -> None:
    """An allowed network passes in either spelling; the connection goes to the IPv4 form."""
    guard = NetworkGuard((ip_network("10.20.0.0/16"),))

    assert ["10.20.3.4"] == guard.check("feeds.lan", ["10.20.3.4", "::ffff:10.20.3.4"])
    with pytest.raises(AddressRefused, match=r"10\.21\.0\.1 \(the address of 'feeds\.lan'\)"):
        guard.check("feeds.lan", ["10.21.0.1"])


def test_every_address_must_pass() -> None:
    """A public answer next to an internal one does not save the name."""
    with pytest.raises(AddressRefused) as caught:
        NetworkGuard().check("mixed.example", ["93.184.215.14", "10.0.0.5"])

    assert (
        "refused to connect to 10.0.0.5 (the address of 'mixed.example'): a private address, "
        "not a public one; to fetch it anyway, add its network to fetch.allow_networks"
    ) == str(caught.value)


@pytest.mark.parametrize(
    ("text", "network"),
    [("127.0.0.0/8", "127.0.0.0/8"), (" 10.1.2.3 ", "10.1.2.3/32"), ("fd00::/8", "fd00::/8")],
)
def test_networks_are_cidrs_or_single_addresses(text: str, network: str) -> None:
    assert ip_network(network) == parse_network(text)


def test_config_rejects_bad_networks_with_their_position(tmp_path: Path) -> None:
    """`fetch.allow_networks` is validated at load: each bad entry is named, with a hint."""
    path = tmp_path / "wirewatch.yaml"
    path.write_text('fetch:\n  allow_networks: ["127.0.0.0/8", "10.0.0.1/8", "intranet", 7]\n')

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert [
        "fetch.allow_networks[1]: '10.0.0.1/8' has bits set past its prefix: did you mean "
        "10.0.0.0/8?",
        "fetch.allow_networks[2]: 'intranet' is not a network: write a CIDR such as 127.0.0.0/8 "
        "or 10.20.0.0/16, or one address",
        "fetch.allow_networks[3]: 7 is not a network: write a CIDR such as 127.0.0.0/8 in quotes",
    ] == caught.value.problems


def test_config_reads_networks_from_the_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wirewatch.yaml"
    path.write_text('fetch:\n  allow_networks: ["127.0.0.0/8"]\n')
    assert (ip_network("127.0.0.0/8"),) == load_config(path).fetch.allow_networks

    monkeypatch.setenv("WIREWATCH_FETCH__ALLOW_NETWORKS", '["10.0.0.0/8", "fd00::/8"]')
    expected = (ip_network("10.0.0.0/8"), ip_network("fd00::/8"))
    assert expected == load_config(path).fetch.allow_networks
