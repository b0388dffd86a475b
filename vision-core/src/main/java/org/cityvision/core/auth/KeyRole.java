package org.cityvision.core.auth;

/** What an API key may do: the roles of docs/API.md. */
public enum KeyRole {
  CAMERA,
  SORTER,
  REVIEWER,
  ADMIN
}
