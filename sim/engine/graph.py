"""Social graph of the simulator: who is friends with whom.

A `Graph` stores an undirected friendship network in CSR (compressed sparse row) form:
the neighbours of person i are ``indices[indptr[i]:indptr[i+1]]``, sorted, each friendship
stored once per direction, no self-loops and no duplicates. CSR keeps a million people with
five million friendships in ~50 MB and lets every per-person query be a numpy gather, so the
model never loops over people in Python. `CompleteGraph` is the implicit "everyone knows
everyone" network (no arrays, any n). The generators build edge arrays directly with numpy
(no networkx), and `load_edgelist` reads real networks (SNAP, CSV, TSV).
"""
import functools
import warnings
from pathlib import Path

import numpy as np

KINDS = ("barabasi_albert", "watts_strogatz", "erdos_renyi", "complete", "edgelist")


class GraphError(ValueError):
    """Bad graph input; the message names the file or setting, the line number and how to fix it."""


CHUNK = 1 << 20  # elements a set-up loop handles at a time: its temporaries stay small beside the graph


def _directed_keys(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """``row * n + col`` of each edge in both directions (int64)."""
    key = np.empty(2 * len(src), dtype=np.int64)
    for half, (a, b) in enumerate(((src, dst), (dst, src))):
        out = key[half * len(src):(half + 1) * len(src)]
        np.multiply(a, n, out=out)
        out += b
    return key


def _segment_sums(vals: np.ndarray, lens: np.ndarray, dtype) -> np.ndarray:
    """Sums of consecutive segments of `vals` with lengths `lens` (empty segments give 0)."""
    out = np.zeros(len(lens), dtype=dtype)
    nonempty = lens > 0
    if vals.size:  # reduceat over the starts of non-empty segments: each runs to the next start
        out[nonempty] = np.add.reduceat(vals, (np.cumsum(lens) - lens)[nonempty], dtype=dtype)
    return out


class Graph:
    """Undirected friendship graph as CSR adjacency (no self-loops, no duplicate edges)."""

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray):
        self.n, self.indptr, self.indices = n, indptr, indices

    @classmethod
    def from_edges(cls, n: int, src: np.ndarray, dst: np.ndarray) -> "Graph":
        """Graph on ids 0..n-1 from edge endpoint arrays; symmetrizes, drops self-loops and duplicates."""
        src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
        if src.shape != dst.shape or src.ndim != 1:
            raise GraphError(f"src and dst must be 1-D arrays of equal length, got {src.shape} and {dst.shape}")
        if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
            raise GraphError(f"edge endpoints must be node ids in 0..{n - 1}")
        keep = src != dst
        s, d = (src, dst) if keep.all() else (src[keep], dst[keep])
        del keep
        return cls.from_keys(n, _directed_keys(n, s, d))

    @classmethod
    def from_keys(cls, n: int, key: np.ndarray) -> "Graph":
        """Graph from ``row * n + col`` of every directed edge (each friendship both ways, no self-loops),
        duplicates allowed. Sorts ``key`` in place and builds the CSR in chunks, so the peak memory is
        ``key`` and the graph (what sets the peak at a million people)."""
        key.sort()
        first = np.empty(len(key), dtype=bool)  # the first of each run of equal keys
        first[:1] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        counts = np.zeros(n, dtype=np.int64)
        cols = np.empty(np.count_nonzero(first), dtype=np.int32)
        at = 0
        for lo in range(0, len(key), CHUNK):
            kept = key[lo:lo + CHUNK][first[lo:lo + CHUNK]]
            counts += np.bincount(kept // n, minlength=n)
            cols[at:at + len(kept)] = kept % n
            at += len(kept)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(n, indptr, cols)

    @property
    def n_edges(self) -> int:
        return len(self.indices) // 2

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def neighbors(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    def random_neighbor(self, persons: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Neighbour number floor(u*deg(p)) of each person p (uniform if u is); -1 if p has none."""
        persons = np.asarray(persons, dtype=np.int64)
        if not len(persons):
            return persons
        start = self.indptr[persons]
        deg = self.indptr[persons + 1] - start
        k = np.minimum((np.asarray(u) * deg).astype(np.int64), deg - 1)  # u*deg may round up to deg
        # with no neighbours k = -1 and start - 1 is still a valid position: masked out below
        return np.where(deg > 0, self.indices[start + k], -1).astype(np.int64)

    def count_neighbors_in(self, persons: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """For each person, how many of their neighbours have `mask` True."""
        at, deg = self._gather(np.asarray(persons, dtype=np.int64))
        hits = np.zeros(len(at) + 1, dtype=np.int64)
        np.cumsum(mask[self.indices[at]], out=hits[1:])  # running count over the gathered neighbour lists
        end = np.cumsum(deg)
        return hits[end] - hits[end - deg]

    def neighbor_pairs(self, persons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(person, friend) for every friend of each of `persons`: a share with the whole friend list."""
        persons = np.asarray(persons, dtype=np.int64)
        if not len(persons):
            return persons, persons
        at, deg = self._gather(persons)
        return np.repeat(persons, deg), self.indices[at].astype(np.int64)

    def _gather(self, persons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in `indices` of all neighbours of `persons`, person after person; and their degrees."""
        end = self.indptr[persons + 1]
        deg = end - self.indptr[persons]
        ends = np.cumsum(deg)  # where each person's segment ends in the gathered array
        return np.arange(ends[-1] if len(deg) else 0) + np.repeat(end - ends, deg), deg

    def subgraph_edges(self, persons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Edges among `persons` (each once), as positions in `persons`: used to find communities in a group."""
        persons = np.asarray(persons, dtype=np.int64)
        local = np.full(self.n, -1, dtype=np.int64)
        local[persons] = np.arange(len(persons))
        at, deg = self._gather(persons)
        src, dst = np.repeat(np.arange(len(persons)), deg), local[self.indices[at]]
        keep = dst > src
        return src[keep], dst[keep]

    def neighbor_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of `values` over each person's neighbours; isolated people keep their own value."""
        values = np.asarray(values, dtype=np.float64)
        deg = self.degree()
        sums = _segment_sums(values[self.indices], deg, np.float64)
        return np.where(deg > 0, sums / np.maximum(deg, 1), values)


class CompleteGraph:
    """Everyone is friends with everyone; implicit (no edge arrays), so it works for large n."""

    def __init__(self, n: int):
        self.n = n

    @property
    def n_edges(self) -> int:
        return self.n * (self.n - 1) // 2

    def degree(self) -> np.ndarray:
        return np.full(self.n, self.n - 1, dtype=np.int64)

    def neighbors(self, i: int) -> np.ndarray:
        return np.delete(np.arange(self.n), i)

    def random_neighbor(self, persons: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Uniform over the other n-1 people (same rule as `Graph.random_neighbor`); -1 if n == 1."""
        persons = np.asarray(persons, dtype=np.int64)
        if self.n < 2:
            return np.full(len(persons), -1, dtype=np.int64)
        j = np.minimum((np.asarray(u) * (self.n - 1)).astype(np.int64), self.n - 2)
        return j + (j >= persons)  # skip the person itself

    def count_neighbors_in(self, persons: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.count_nonzero(mask) - mask[np.asarray(persons, dtype=np.int64)].astype(np.int64)

    def neighbor_pairs(self, persons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(person, other) for every other person: len(persons) x (n - 1) pairs."""
        persons = np.asarray(persons, dtype=np.int64)
        others = np.broadcast_to(np.arange(self.n), (len(persons), self.n))
        keep = others != persons[:, None]
        return np.broadcast_to(persons[:, None], others.shape)[keep], others[keep]

    def neighbor_mean(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        return (values.sum() - values) / (self.n - 1) if self.n > 1 else values.copy()


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> Graph:
    """Preferential attachment: a clique on nodes 0..m, then each new node links to m earlier nodes
    chosen proportionally to degree (duplicate picks are merged, so mean degree is slightly < 2m).

    Degree-proportional choice = copying a uniformly random entry of the flat endpoint list
    [src0, dst0, src1, dst1, ...] written so far. Sources are known; a copied target is itself a
    copy, so targets are resolved by following the copy pointers (chains are ~log(edges) long).
    """
    if not 1 <= m < n:
        raise GraphError(f"graph.m must be an integer with 1 <= m < population size {n}, got {m}")
    seed_src, seed_dst = np.triu_indices(m + 1, 1)
    e0 = len(seed_src)
    src = np.concatenate((seed_src, np.arange(m + 1, n).repeat(m))).astype(np.int64)
    dst = np.concatenate((seed_dst, np.full(len(src) - e0, -1))).astype(np.int64)
    # each new edge copies endpoint-list entry pos < 2 * (edges added before its node)
    pos = rng.integers(0, 2 * (e0 + m * (src[e0:] - m - 1)))
    for lo in range(0, len(pos), CHUNK):  # in chunks: the temporaries, not the graph, set the peak memory
        todo = np.arange(lo, min(lo + CHUNK, len(pos)))
        while todo.size:
            p = pos[todo]
            e, even = p >> 1, (p & 1) == 0  # entry p is edge p // 2's source if p is even, else its target
            known = np.flatnonzero(even | (e < e0))
            ek = e[known]
            dst[e0 + todo[known]] = np.where(even[known], src[ek], dst[ek])
            unknown = np.ones(len(todo), dtype=bool)
            unknown[known] = False
            todo, e = todo[unknown], e[unknown]
            pos[todo] = pos[e - e0]  # jump along the chain of copies: any jump keeps the copy's final value
    del pos
    key = _directed_keys(n, src, dst)  # (no self-loops: a new person links to earlier ones)
    del src, dst
    return Graph.from_keys(n, key)


def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> Graph:
    """Ring lattice (k/2 neighbours on each side), each edge's far end rewired with probability p to a
    uniform random person; rewired self-loops and duplicates are dropped."""
    if k < 2 or k % 2 or k >= n:
        raise GraphError(f"graph.k must be an even integer with 2 <= k < population size {n}, got {k}")
    if not 0 <= p <= 1:
        raise GraphError(f"graph.p must be a probability in [0, 1], got {p}")
    src = np.arange(n, dtype=np.int64).repeat(k // 2)
    dst = (src + np.tile(np.arange(1, k // 2 + 1), n)) % n
    rewire = rng.random(len(src)) < p
    dst[rewire] = rng.integers(0, n, np.count_nonzero(rewire))
    return Graph.from_edges(n, src, dst)


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> Graph:
    """G(n, M) with M = round(n*mean_degree/2) uniform random pairs (self-loops and duplicates dropped)."""
    if not 0 <= mean_degree < n:
        raise GraphError(f"graph.mean_degree must be in [0, population size {n}), got {mean_degree}")
    m = round(n * mean_degree / 2)
    if not m:
        raise GraphError(f"graph.mean_degree={mean_degree:g} gives the {n} people no friendship at all (nobody "
                         f"could invite anyone): raise it so that population.size x mean_degree / 2 is at least 1, "
                         f"e.g. graph.mean_degree=10")
    return Graph.from_edges(n, rng.integers(0, n, m), rng.integers(0, n, m))


def load_edgelist(path) -> tuple[Graph, np.ndarray]:
    """Read an edge-list file; return the graph and the original node labels (index = new id).

    Format (SNAP, CSV or TSV): one friendship per line as two non-negative integer ids separated by
    whitespace (tabs included) or a comma. A third column (a weight, a timestamp) is refused, not
    ignored: friendships here have no weights, so a weighted network would silently lose its meaning.
    Empty lines and lines starting with '#' or '%' are skipped. The first other line is a header
    (e.g. `source,target`) if neither of its first two fields is an integer. Ids are relabelled 0..n-1 in
    sorted order of the original id. Self-loops and duplicate friendships (either direction) are
    dropped with a warning; people who appear only in self-loops stay, without friends.

    The last file read is kept (while it is unchanged on disk): a run reads its file once to settle
    ``population.size`` (``sim.config.settle``) and again to build its graph.
    """
    where = f"graph.path '{path}'"
    if Path(path).is_dir():
        raise GraphError(f"{where} is a directory, not a file (give the path of an edge-list file in it)")
    if not Path(path).is_file():
        raise GraphError(f"{where} does not exist (give the path of an edge-list file: "
                         "one pair of integer node ids per line)")
    stat = Path(path).stat()
    return _read_edgelist(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1)
def _read_edgelist(path: str, mtime_ns: int, size: int) -> tuple[Graph, np.ndarray]:
    """``load_edgelist`` of a file as it is on disk (its modification time and size are part of the key)."""
    where = f"graph.path '{path}'"
    pairs, header_allowed = [], True
    try:
        with open(path, encoding="utf-8-sig") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line[0] in "#%":
                    continue
                fields = [x.strip() for x in line.split(",")] if "," in line else line.split()
                if header_allowed and len(fields) >= 2 and not (fields[0].isdecimal() or fields[1].isdecimal()):
                    header_allowed = False
                    continue
                header_allowed = False
                if len(fields) == 3 and fields[0].isdecimal() and fields[1].isdecimal():
                    raise GraphError(f"{where}, line {lineno}: a third column ({fields[2]!r}, a weight?) is not "
                                     f"read: friendships here have no weights; keep only the two node ids of each "
                                     f"line (e.g. cut -f1,2 for a tab-separated file)")
                if len(fields) != 2 or not (fields[0].isdecimal() and fields[1].isdecimal()):
                    raise GraphError(f"{where}, line {lineno}: expected two non-negative integer node ids, "
                                     f"got {line!r} (fix the line or remove it)")
                pairs.append((int(fields[0]), int(fields[1])))
    except UnicodeDecodeError as err:
        raise GraphError(f"{where} is not a UTF-8 text file ({err}); give a plain-text edge list") from None
    if not pairs:
        raise GraphError(f"{where} contains no edges (expected one pair of integer node ids per line; "
                         "'#' or '%' starts a comment)")
    try:
        ends = np.array(pairs, dtype=np.int64)
    except OverflowError:
        raise GraphError(f"{where}: node ids must be below 2**63 (relabel the nodes)") from None
    labels, ids = np.unique(ends, return_inverse=True)
    ids = ids.reshape(ends.shape)
    graph = Graph.from_edges(len(labels), ids[:, 0], ids[:, 1])
    if not graph.n_edges:
        raise GraphError(f"{where} contains only self-loops: no friendship between two people (give a file "
                         "with at least one pair of different node ids)")
    loops = int(np.count_nonzero(ids[:, 0] == ids[:, 1]))
    dups = len(ids) - loops - graph.n_edges
    if loops or dups:
        warnings.warn(f"{where}: dropped {loops} self-loop(s) and {dups} duplicate edge(s)", stacklevel=2)
    return graph, labels


def _param(cfg, name: str, kind: str):
    value = getattr(cfg, name, None)
    if value is None:
        raise GraphError(f"graph.{name} is required when graph.kind is '{kind}'")
    return value


def build_graph(cfg, n: int, rng: np.random.Generator) -> Graph | CompleteGraph:
    """Build the graph described by config `cfg` (attribute `kind` plus its parameters) for n people.
    For kind 'edgelist' the file fixes the population and n is ignored (read `graph.n`)."""
    kind = getattr(cfg, "kind", None)
    if kind == "barabasi_albert":
        return barabasi_albert(n, int(_param(cfg, "m", kind)), rng)
    if kind == "watts_strogatz":
        return watts_strogatz(n, int(_param(cfg, "k", kind)), float(_param(cfg, "p", kind)), rng)
    if kind == "erdos_renyi":
        return erdos_renyi(n, float(_param(cfg, "mean_degree", kind)), rng)
    if kind == "complete":
        return CompleteGraph(n)
    if kind == "edgelist":
        return load_edgelist(_param(cfg, "path", kind))[0]
    raise GraphError(f"graph.kind {kind!r} is unknown; choose one of: {', '.join(KINDS)}")
