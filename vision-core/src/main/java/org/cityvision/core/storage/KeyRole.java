package org.cityvision.core.storage;

/** What an API key may do: the roles of docs/API.md. */
public enum KeyRole {
  CAMERA,
  SORTER,
  REVIEWER,
  ADMIN
}
