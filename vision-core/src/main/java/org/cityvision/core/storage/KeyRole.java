package org.cityvision.core.storage;

/** What an API key may do (see ARCHITECTURE.md, "Auth"). */
public enum KeyRole {
  CAMERA,
  SORTER,
  REVIEWER,
  ADMIN
}
