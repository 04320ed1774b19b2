"""Text normalisation of Chinese business data, with no knowledge of records: ``phones`` (phone
numbers, their digits, ``tel:``/``mailto:`` links), ``pinyin`` (the pinyin forms of names),
``identity`` (company keys, credit codes, e-mail keys, and the ``Identity`` declaration of which
columns hold them), ``regions`` (provinces and cities), ``keys`` (record ids typed as text).

May import: Django and the standard library, pypinyin; nothing of core but its own modules.
"""
