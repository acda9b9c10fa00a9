//! Control catalogs (NIST SP 800-53 rev5, FedRAMP, DoD IL, SOC 2, HIPAA), typed control ids and frameworks.
