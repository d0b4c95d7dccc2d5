"""The invented patient list of the sample practice, written as a PMS export.

The file imitates a Cornerstone or AVImark patient report saved as CSV: every value
in double quotes, CRLF line ends, Windows-1252 text, chart numbers with leading
zeros and dates as MM/DD/YYYY. Species are spelled as front-desk staff type them.
"""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = (
    "Patient ID",
    "Client ID",
    "Client Last Name",
    "Client First Name",
    "Patient Name",
    "Species",
    "Breed",
    "Sex",
    "Birth Date",
    "Deceased Date",
    "Status",
)

# Patient ID, Client ID, last, first, pet, species, breed, sex, birth, deceased, status.
# Collisions on purpose: the Jones client has three pets, "Max" and "Bella" belong to
# several owners, two clients are named Smith and two Baker.
PATIENTS: tuple[tuple[str, ...], ...] = (
    ("00123", "C1001", "Smith", "Robert", "Max", "Canine", "Labrador Retriever", "MN", "03/15/2010", "", "Active"),
    ("00457", "C1002", "Jones", "Patricia", "Fluffy", "Feline", "Domestic Shorthair", "FS", "05/30/2008", "", "Active"),
    ("00458", "C1002", "Jones", "Patricia", "Max", "K9", "Beagle", "MN", "08/01/2012", "", "Active"),
    ("00459", "C1002", "Jones", "Patricia", "Biscuit", "CANINE", "Cocker Spaniel", "F", "02/14/2015", "", "Active"),
    ("00789", "C1003", "Garcia", "Maria", "Luna", "Feline", "Domestic Longhair", "FS", "07/04/2013", "", "Active"),
    ("00790", "C1003", "Garcia", "Maria", "Coco", "Canine", "Chihuahua", "F", "12/24/2014", "", "Active"),
    ("00912", "C1004", "Müller", "Hans", "Rocky", "K9", "German Shepherd", "M", "10/10/2009", "", "Active"),
    ("01034", "C1005", "Peña", "Carmen", "Bella", "Canine", "Boxer", "FS", "01/19/2012", "", "Active"),
    ("01102", "C1006", "Baker", "Thomas", "Bella", "Feline", "Siamese", "FS", "06/06/2011", "", "Active"),
    ("01156", "C1007", "Johnson", "Linda", "Max", "Canine", "Golden Retriever", "MN", "04/22/2005", "09/30/2016", "Deceased"),
    ("01220", "C1008", "Smith", "Karen", "Bella", "Canine", "Pit Bull Terrier", "FS", "03/03/2014", "", "Active"),
    ("01221", "C1008", "Smith", "Karen", "Shadow", "Feline", "Domestic Shorthair", "MN", "11/11/2016", "", "Active"),
    ("01288", "C1009", "Nguyen", "Thanh", "Milo", "Fel", "Domestic Shorthair", "MN", "09/09/2015", "", "Active"),
    ("01340", "C1010", "O'Brien", "Sean", "Duke", "Canine", "Rottweiler", "M", "05/05/2010", "", "Inactive"),
    ("01377", "C1011", "Williams", "James", "Daisy", "Canine", "Beagle", "FS", "08/18/2011", "", "Active"),
    ("01378", "C1011", "Williams", "James", "Oliver", "Feline", "Maine Coon", "MN", "02/02/2016", "", "Active"),
    ("01421", "C1012", "Brown", "Susan", "Charlie", "Canine", "Mixed Breed", "MN", "07/15/2008", "", "Active"),
    ("01459", "C1013", "Davis", "Michael", "Lucy", "Canine", "Dachshund", "FS", "03/27/2013", "", "Active"),
    ("01502", "C1014", "Miller", "Jennifer", "Max", "Canine", "Boxer", "M", "12/01/2011", "", "Active"),
    ("01533", "C1015", "Wilson", "David", "Sadie", "Canine", "Australian Shepherd", "FS", "04/04/2014", "", "Active"),
    ("01577", "C1016", "Moore", "Elizabeth", "Tiger", "Feline", "Domestic Shorthair", "MN", "06/20/2007", "", "Active"),
    ("01578", "C1016", "Moore", "Elizabeth", "Smokey", "Feline", "Russian Blue", "MN", "06/20/2007", "", "Active"),
    ("01610", "C1017", "Taylor", "Richard", "Buddy", "Canine", "Golden Retriever", "MN", "10/31/2012", "", "Active"),
    ("01644", "C1018", "Anderson", "Barbara", "Molly", "Canine", "Shih Tzu", "FS", "01/08/2015", "", "Active"),
    ("01690", "C1019", "Thomas", "Joseph", "Bailey", "Canine", "Labrador Retriever", "F", "09/14/2013", "", "Active"),
    ("01712", "C1020", "Jackson", "Nancy", "Chloe", "Feline", "Persian", "FS", "05/17/2012", "", "Active"),
    ("01755", "C1021", "White", "Steven", "Zeus", "Canine", "Great Dane", "M", "11/25/2014", "", "Active"),
    ("01799", "C1022", "Harris", "Lisa", "Ginger", "Feline", "Domestic Shorthair", "FS", "03/09/2010", "", "Active"),
    ("01830", "C1023", "Martin", "Paul", "Rusty", "Canine", "Irish Setter", "MN", "07/07/2009", "02/11/2019", "Deceased"),
    ("01866", "C1024", "Thompson", "Sandra", "Pepper", "Canine", "Miniature Schnauzer", "FS", "12/12/2013", "", "Active"),
    ("01902", "C1025", "Lopez", "José", "Rocco", "Canine", "Boxer", "MN", "08/08/2010", "", "Active"),
    ("01945", "C1026", "Clark", "Donna", "Misty", "Feline", "Ragdoll", "FS", "04/01/2016", "", "Active"),
    ("01988", "C1027", "Lewis", "Mark", "Bear", "Canine", "Newfoundland", "M", "02/28/2012", "", "Active"),
    ("02011", "C1028", "Robinson", "Carol", "Sasha", "Feline", "Siberian", "FS", "10/05/2014", "", "Active"),
    ("02054", "C1029", "Walker", "Daniel", "Jake", "Canine", "Border Collie", "MN", "06/16/2011", "", "Active"),
    ("02055", "C1029", "Walker", "Daniel", "Maggie", "Canine", "Border Collie", "FS", "06/16/2011", "", "Active"),
    ("02103", "C1030", "Young", "Ruth", "Cleo", "Feline", "Abyssinian", "FS", "09/23/2015", "", "Active"),
    ("02140", "C1031", "Allen", "George", "Thumper", "Lapine", "Holland Lop", "M", "03/30/2017", "", "Active"),
    ("02177", "C1032", "King", "Betty", "Oreo", "Feline", "Domestic Shorthair", "MN", "01/01/2013", "", "Active"),
    ("02219", "C1033", "Wright", "Kenneth", "Scout", "Canine", "Australian Cattle Dog", "M", "07/19/2014", "", "Active"),
    ("02250", "C1034", "Scott", "Helen", "Penny", "Canine", "Cavalier King Charles Spaniel", "FS", "05/12/2015", "", "Active"),
    ("02268", "C1035", "Green", "Brian", "Boomer", "Canine", "Mixed Breed", "MN", "08/29/2010", "", "Inactive"),
    ("02301", "C1036", "Adams", "Sharon", "Lily", "Feline", "Domestic Shorthair", "FS", "02/17/2016", "", "Active"),
    ("02333", "C1037", "Baker", "Michelle", "Max", "Canine", "Miniature Poodle", "MN", "11/03/2013", "", "Active"),
    ("02370", "C1038", "Hill", "Edward", "Gizmo", "Feline", "Himalayan", "MN", "04/26/2012", "", "Active"),
    ("02402", "C1039", "Dubois", "Zoë", "Minou", "Feline", "Chartreux", "FS", "06/02/2014", "", "Active"),
    ("02444", "C1040", "Kowalski", "Anna", "Bruno", "K-9", "Bernese Mountain Dog", "M", "01/15/2015", "", "Active"),
    ("02480", "C1041", "Rivera", "Luis", "Nala", "Feline", "Bengal", "FS", "10/20/2016", "", "Active"),
    ("02515", "C1042", "Campbell", "Laura", "Rosie", "Canine", "Cavalier King Charles Spaniel", "FS", "03/21/2013", "", "Active"),
)


def write_patient_list(path: Path) -> None:
    """Write the patient list as quoted, CRLF-terminated Windows-1252 CSV."""
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in PATIENTS:
            writer.writerow(row)
