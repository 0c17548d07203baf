"""Disjoint sets (union-find) over ``0..n-1``, shared by every stage that groups things.

Path halving in :meth:`DisjointSets.find`; :meth:`DisjointSets.union` keeps the smaller root,
so a group's root is its earliest member (the Spark duplicate groups rely on that).

>>> ds = DisjointSets(4)
>>> ds.union(3, 1); ds.union(1, 2)
>>> [ds.find(i) for i in range(4)]
[0, 1, 1, 1]
"""
from __future__ import annotations

__all__ = ["DisjointSets"]


class DisjointSets:
    __slots__ = ("parent",)

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)
