"""Write paths under parallel requests against a live server: nothing lost, exactly one winner
where one is expected, never a 500."""
