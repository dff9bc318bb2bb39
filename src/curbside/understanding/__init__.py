"""Question understanding: the question is read once, into one typed object that retrieval, evidence and
writing all use (story and clinical question, expansions, spelling, question type, patient context)."""
