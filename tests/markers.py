"""Marker text as a test writes it into a tracker payload (``connectors.markers.Marker``)."""

from __future__ import annotations

from connectors.markers import Marker


def markdown_tag(marker: str) -> str:
    """``<!-- forewarn:fp:level -->`` for a marker key like ``scope.0123456789abcdef:warning``."""
    return Marker.parse(marker).tag("markdown")


def jira_tag(marker: str) -> str:
    """``{anchor:forewarn-fp@level}``: the Jira form of the same marker."""
    return Marker.parse(marker).tag("jira")
