"""Sparse coding beyond l1 (Rentzeperis et al. 2023): proximal operators, ISTA/FISTA/LCA
solvers, dictionary learning and the V1 analysis."""
