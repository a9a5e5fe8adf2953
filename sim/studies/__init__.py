"""Studies built from many simulations: replications, staffing, scheduling, calibration, sweeps, sensitivity, ROI."""
