"""Which addresses the fetcher may connect to: public unicast ones, plus `fetch.allow_networks`.

A feed URL, and every redirect it leads to, is chosen by whoever runs the feed, so without a
guard a feed could make wirewatch read (and alert on) pages of the host's own network. The rule
is applied to the *resolved* address of each connection, at connect time (`resolve_checked`,
which both of the fetcher's transports call), so numeric spellings (`2130706433`, `0x7f.1`,
`127.1`), IPv4-mapped IPv6 (`[::ffff:127.0.0.1]`) and DNS rebinding all meet the same check.

Refused: unspecified, loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the
cloud metadata address, fe80::/10), shared CGNAT space (100.64/10), multicast, broadcast and every
other special-purpose or reserved range; an IPv6 address that embeds an IPv4 one (mapped, 6to4,
NAT64) is judged by that IPv4 address too. A refusal is `AddressRefused`, raised before any
packet is sent, so its text is the same whether something listens there or not.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from wirewatch.errors import AddressRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
ALLOW_KEY = "fetch.allow_networks"

_KINDS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified address"),
    ("::/128", "an unspecified address"),
    ("127.0.0.0/8", "a loopback address"),
    ("::1/128", "a loopback address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("fc00::/7", "a private address"),
    ("169.254.169.254/32", "the cloud metadata address (link-local)"),
    ("169.254.0.0/16", "a link-local address"),
    ("fe80::/10", "a link-local address"),
    ("100.64.0.0/10", "a shared (CGNAT) address"),
    ("224.0.0.0/4", "a multicast address"),
    ("ff00::/8", "a multicast address"),
    ("255.255.255.255/32", "the broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
)
_RANGES = tuple((ipaddress.ip_network(cidr), kind) for cidr, kind in _KINDS)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def parse_network(value: str) -> IPNetwork:
    """A CIDR (`10.1.0.0/16`, `fd00::/8`) or one address; a clear ValueError otherwise."""
    text = value.strip()
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        pass
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a network: write a CIDR such as 127.0.0.0/8 or 10.20.0.0/16, "
            "or one address"
        ) from None
    raise ValueError(f"{value!r} has bits set past its prefix: did you mean {network}?")


def refusal(address: IPAddress) -> str | None:
    """Why `address` is not public ("a loopback address", ...), or None when it is."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and (why := refusal(embedded)):
        return why
    for network, kind in _RANGES:
        if address.version == network.version and address in network:
            return kind
    if address.is_multicast or address.is_reserved or not address.is_global:
        return "a special-purpose address"
    return None


@dataclass(slots=True)
class NetworkGuard:
    """The rule, with the networks the operator allows anyway. `allow` may be replaced while
    the fetcher runs (a reload): each new connection reads the current tuple."""

    allow: tuple[IPNetwork, ...] = ()

    def check(self, host: str, addresses: Iterable[str]) -> list[str]:
        """The addresses to connect to, in order, once every one has passed; else raise.

        All of a host's addresses must pass: a name that mixes public and internal answers is
        refused rather than tried in turn. An IPv4-mapped address is connected to as IPv4.
        """
        checked = [_connectable(address) for address in addresses]
        for address in checked:
            why = None if self.allowed(address) else refusal(address)
            if why:
                raise AddressRefused(_message(host, address, why))
        return [str(address) for address in dict.fromkeys(checked)]

    def allowed(self, address: IPAddress) -> bool:
        return any(
            address in network for network in self.allow if network.version == address.version
        )


def _connectable(text: str) -> IPAddress:
    address = ipaddress.ip_address(text.partition("%")[0])  # drop an IPv6 zone (scope id)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _message(host: str, address: IPAddress, why: str) -> str:
    whose = "" if host.strip("[]").lower() == str(address) else f" (the address of {host!r})"
    return (
        f"refused to connect to {address}{whose}: {why}, not a public one; "
        f"to fetch it anyway, add its network to {ALLOW_KEY}"
    )


Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Returns the addresses of `host` (numeric strings); raises OSError when it has none."""


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """The operating system's answer (getaddrinfo), numeric spellings such as 127.1 included."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_checked(
    guard: NetworkGuard, resolve: Resolver, host: str, port: int, timeout: float | None
) -> Sequence[str]:
    """`host`'s addresses once `guard` has checked every one (`AddressRefused` if one is not
    allowed); TimeoutError after `timeout` seconds, OSError when the name has none."""
    async with asyncio.timeout(timeout):
        found = await resolve(host, port)
    return guard.check(host, found)
