# Only what differs from Django's zh-Hans formats: amounts grouped by thousands with commas,
# as in Chinese business software and bank statements (¥1,234,567.00).
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
