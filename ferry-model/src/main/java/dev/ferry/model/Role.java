package dev.ferry.model;

/** Token roles within a tenant; each includes the rights of the ones before it. */
public enum Role {
  VIEWER,
  OPERATOR,
  ADMIN;

  public boolean includes(Role required) {
    return compareTo(required) >= 0;
  }
}
