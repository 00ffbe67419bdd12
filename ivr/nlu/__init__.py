"""Understanding the caller: topic and emotion (`ivr.nlu.understanding.Understanding`)."""
