"""Roster import and export: the factory's list of workers' children as a spreadsheet.

One row per child. ``reading`` turns an uploaded file into raw rows, ``parsing`` checks each
row, ``planning`` compares the rows with what the portal already holds and says what an
import would create or change; ``services.roster_import`` writes it.
``spreadsheets`` writes exports and the template; ``uploads`` keeps a file between its
preview and its confirmation.
"""
