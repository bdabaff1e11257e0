"""Operations: run, merge, repeats, bisect. The only layer that combines building, executing and storing."""
