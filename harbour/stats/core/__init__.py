"""Disclosure control and differential privacy as pure Python (no Django): suppression,
rounding, discrete Laplace noise, budget arithmetic and k-anonymity, each property-tested."""
