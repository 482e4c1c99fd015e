package io.flinkclip.tasks.retrieval;

/** One search result: the id the row got when it was added, and its cosine similarity to the query. */
public record SearchHit(int id, float score) {}
