"""The court's transparency log as rows: leaves, the nodes they complete, and checkpoints.

Only hashes and identifiers live here, never personal data: a leaf's record is the canonical
JSON that its hash covers, and anyone may read it (`/log/tile/entries/...`).
"""

from __future__ import annotations

from django.db import models


class LogEntry(models.Model):
    """A leaf: appended with the change it records, integrated later by the sequencer."""

    kind = models.CharField(max_length=30)
    ref = models.CharField(max_length=120, unique=True)
    record = models.TextField()
    leaf_hash = models.CharField(max_length=64)
    index = models.BigIntegerField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["leaf_hash"])]

    def __str__(self) -> str:
        return f"{self.ref} @ {self.index}"


class LogNode(models.Model):
    """The hash of a complete (perfect) subtree: leaves [index * 2**level, (index+1) * 2**level)."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="transparency_node_position")
        ]


class LogHead(models.Model):
    """The one row the sequencer locks: how many leaves are integrated, and their root."""

    size = models.BigIntegerField(default=0)
    root = models.CharField(max_length=64)
    updated_at = models.DateTimeField()


class Checkpoint(models.Model):
    """A signed statement of the log's size and root (C2SP checkpoint), with its timestamp."""

    size = models.BigIntegerField(unique=True)
    root = models.CharField(max_length=64)
    note = models.TextField()
    timestamp = models.BinaryField(null=True, blank=True)
    timestamp_authority = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["size"]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"
