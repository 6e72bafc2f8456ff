#!/usr/bin/env python3
"""The matrices of Winograd's F(2x2, 5x5) (src/kernels/winograd.hpp), derived and checked exactly.

    python3 tools/winograd_matrices.py

Toom-Cook over the points 0, 1, -1, 2, -2 and infinity: A^T (2 x 6) evaluates, G (6 x 5) takes
the filter to the points (scaled by the Lagrange denominators), and B^T (6 x 6) is solved for so
that y = A^T [(G g) .* (B^T d)] is the correlation y_i = sum_k g_k d_(i+k) for every g and d.
Prints the three matrices in fractions; every identity is checked in exact arithmetic (the 2-d
algorithm applies the 1-d one to the rows, then the columns). Standard library only.
"""
from fractions import Fraction as F

M, R = 2, 5  # outputs per tile side, filter taps
ALPHA = M + R - 1
POINTS = [F(0), F(1), F(-1), F(2), F(-2)]  # and infinity


def solve(a, b):
    """x with a x = b for a consistent system (Gauss-Jordan in fractions; least rows dropped)."""
    rows = [list(r) + [v] for r, v in zip(a, b)]
    n = len(a[0])
    pivots, r = [], 0
    for c in range(n):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        rows[r] = [v / rows[r][c] for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                rows[i] = [u - rows[i][c] * w for u, w in zip(rows[i], rows[r])]
        pivots.append(c)
        r += 1
    assert all(all(v == 0 for v in row) for row in rows[r:]), "inconsistent"
    x = [F(0)] * n
    for i, c in enumerate(pivots):
        x[c] = rows[i][-1]
    return x


def main():
    at = [[p**i for p in POINTS] + [F(1 if i == M - 1 else 0)] for i in range(M)]
    g = []
    for j, p in enumerate(POINTS):
        denominator = F(1)
        for k, q in enumerate(POINTS):
            if k != j:
                denominator *= p - q
        g.append([p**k / denominator for k in range(R)])
    g.append([F(1 if k == R - 1 else 0) for k in range(R)])
    # Column l of B^T: sum_j at[i][j] g[j][k] bt[j][l] = [l == i + k] for every i, k.
    system = [[at[i][j] * g[j][k] for j in range(ALPHA)] for i in range(M) for k in range(R)]
    columns = [solve(system, [F(1 if l == i + k else 0) for i in range(M) for k in range(R)])
               for l in range(ALPHA)]
    bt = [[columns[l][j] for l in range(ALPHA)] for j in range(ALPHA)]
    for i in range(M):
        for k in range(R):
            for l in range(ALPHA):
                got = sum(at[i][j] * g[j][k] * bt[j][l] for j in range(ALPHA))
                assert got == (1 if l == i + k else 0), (i, k, l, got)
    for name, m in (("A^T", at), ("G", g), ("B^T", bt)):
        print(name)
        for row in m:
            print("  " + " ".join(f"{str(v):>6}" for v in row))
    print("checked: A^T [(G g) .* (B^T d)] is the correlation of g and d, exactly")


if __name__ == "__main__":
    main()
