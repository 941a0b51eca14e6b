"""Where the crawler may go."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import FetchError
from extractors.profiles import host_families
from fetchers.policy import HostPolicy


def test_the_known_sites_are_allowed_with_their_subdomains():
    assert host_families() == ("wicwuzhen.cn", "chinadaily.com.cn")  # from the site profiles
    policy = HostPolicy(families=host_families())
    assert policy.allows_host("www.chinadaily.com.cn")
    assert policy.allows_host("cn.chinadaily.com.cn")
    assert policy.allows_host("wicwuzhen.cn")
    assert not policy.allows_host("notchinadaily.com.cn")
    assert not policy.allows_host("chinadaily.com.cn.evil.example")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("file:///etc/passwd", "not an http:// or https:// address"),
        ("gopher://www.chinadaily.com.cn/", "not an http:// or https:// address"),
        ("http://[::1/", "not an http:// or https:// address"),
        ("https://example.org/a.html", "--allow-host example.org"),
    ],
)
def test_other_schemes_and_hosts_are_refused_with_the_way_out(url, says):
    with pytest.raises(FetchError, match=says.replace("/", "\\/").replace(".", "\\.")):
        HostPolicy(families=host_families()).check_url(url)


def test_a_loopback_address_is_refused_unless_named():
    # localhost in the allowed families, but not named: its address is still refused.
    policy = HostPolicy(families=("localhost",))
    with pytest.raises(FetchError, match=r"non-public address .*127\.0\.0\.1"):
        asyncio.run(policy.check_address("localhost", 80))
    named = HostPolicy.allowing(["localhost"])
    assert asyncio.run(named.check_address("localhost", 80)) is False  # allowed, not public


def test_link_local_and_private_literals_are_refused():
    policy = HostPolicy(families=("169.254.169.254", "10.0.0.1"))
    for host in ("169.254.169.254", "10.0.0.1"):
        with pytest.raises(FetchError, match="non-public"):
            asyncio.run(policy.check_address(host, 80))
