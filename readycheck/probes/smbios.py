"""Where the BMC's Redfish service is, from the host interface the firmware describes in SMBIOS type 42.

A server whose BMC offers a Redfish host interface (an in-band USB or PCIe NIC
to the BMC, as DGX and HGX boards do) describes it in an SMBIOS "Management
Controller Host Interface" structure, type 42, with a "Redfish over IP"
protocol record giving the service's address and port. Linux's dmi-sysfs
exposes each structure whole in `/sys/firmware/dmi/entries/42-<n>/raw`
(Documentation/ABI/testing/sysfs-firmware-dmi-entries); the file is readable
by root only. It is read under `--root` like every other file.

Layout (DMTF DSP0270, Redfish Host Interface Specification, as implemented in
tianocore/edk2 RedfishPkg/Include/IndustryStandard/RedfishHostInterface.h and
MdePkg/Include/IndustryStandard/SmBios.h; offsets in bytes, little-endian):
type (1) = 42, length of the formatted area (1), handle (2), interface type (1;
0x40 Network Host Interface), interface-specific data length n (1), that data
(n), number of protocol records (1), then per record: protocol type (1; 0x04
Redfish over IP), data length p (1), data (p). Redfish-over-IP data: service
UUID (16), host IP assignment type (1), host IP format (1), host IP (16), host
mask (16), service IP discovery type (1), service IP format (1; 1 IPv4, 2
IPv6), service IP (16), service mask (16), service port (2), VLAN id (4),
hostname length h (1), hostname (h, ASCII).
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from readycheck.facts import NOT_FOUND, UNPARSEABLE, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.sysfs import entries, read_bytes

ENTRIES = "/sys/firmware/dmi/entries"
TYPE = 42
NETWORK_HOST_INTERFACE = 0x40
REDFISH_OVER_IP = 0x04
FIXED_BYTES = 91  # Redfish-over-IP protocol data before the hostname
IP_FORMATS = {1: ipaddress.IPv4Address, 2: ipaddress.IPv6Address}


@dataclass(frozen=True)
class RedfishService:
    """One Redfish-over-IP record: where the service listens."""

    address: str | None  # None when the record gives no usable IP (assigned by DHCP, unknown format)
    port: int
    hostname: str

    @property
    def url(self) -> str | None:
        """The service's URL (DSP0270 services are HTTPS); None when neither address nor hostname is given."""
        host = self.address or self.hostname
        if not host:
            return None
        if ":" in host:  # an IPv6 literal
            host = f"[{host}]"
        return f"https://{host}" + ("" if self.port in (0, 443) else f":{self.port}")


def parse_type42(raw: bytes) -> list[RedfishService]:
    """The Redfish-over-IP records of one type 42 structure (`raw` as dmi-sysfs gives it).

    A structure for another kind of interface (MCTP, OEM) has none; a record cut
    short or longer than the formatted area is Unparseable, as edk2 refuses it."""
    if len(raw) < 6 or raw[0] != TYPE:
        raise Unreadable(UNPARSEABLE, "not an SMBIOS type 42 structure")
    length = raw[1]
    if length > len(raw) or length < 7:
        raise Unreadable(UNPARSEABLE, f"type 42 structure says {length} bytes, has {len(raw)}")
    if raw[4] != NETWORK_HOST_INTERFACE:
        return []
    position = 6 + raw[5]
    if position >= length:
        raise Unreadable(UNPARSEABLE, "type 42 structure ends inside its interface data")
    count, position = raw[position], position + 1
    services = []
    for _ in range(count):
        if position + 2 > length:
            raise Unreadable(UNPARSEABLE, "type 42 protocol record cut short")
        kind, size = raw[position], raw[position + 1]
        data = raw[position + 2:position + 2 + size]
        if position + 2 + size > length:
            raise Unreadable(UNPARSEABLE, "type 42 protocol record runs past the structure")
        position += 2 + size
        if kind != REDFISH_OVER_IP:
            continue
        if size < FIXED_BYTES or size != FIXED_BYTES + data[FIXED_BYTES - 1]:
            raise Unreadable(UNPARSEABLE, f"Redfish-over-IP record of {size} bytes does not match its hostname")
        services.append(_service(data))
    return services


def _service(data: bytes) -> RedfishService:
    address_type = IP_FORMATS.get(data[51])
    address = None
    if address_type is not None:
        packed = data[52:56] if address_type is ipaddress.IPv4Address else data[52:68]
        ip = address_type(packed)
        address = None if ip.is_unspecified else str(ip)
    port = struct.unpack_from("<H", data, 84)[0]
    hostname = data[FIXED_BYTES:].rstrip(b"\0").decode("ascii", errors="replace")
    return RedfishService(address=address, port=port, hostname=hostname)


def discover(ctx: ProbeContext) -> str:
    """The URL of the first Redfish host interface with an address, read under the root."""
    records = [entry for entry in entries(ctx.path(ENTRIES)) if entry.name.startswith(f"{TYPE}-")]
    if not records:
        raise Unreadable(NOT_FOUND, f"no SMBIOS type 42 entry under {ctx.path(ENTRIES)}")
    for record in records:
        for service in parse_type42(read_bytes(record / "raw")):
            if service.url:
                return service.url
    raise Unreadable(NOT_FOUND, "SMBIOS type 42 describes no Redfish-over-IP service with an address")
