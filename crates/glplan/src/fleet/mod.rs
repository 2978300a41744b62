//! The runner fleet: gitlab-runner `config.toml` files, the settings GitLab keeps for each
//! runner, which runner can take which job, and executor checks.
